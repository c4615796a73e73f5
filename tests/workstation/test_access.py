"""Who may see what, checked over every route the project has (screens added later are covered too)."""

import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

PUBLIC = {
    "login",
    "logout",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "api-schema",
    "api-docs",
    "api-redoc",
}
SAMPLE = {"int": "1", "id": "1", "uuid": str(uuid.uuid4()), "str": "x", "slug": "x", "path": "x"}


def _routes(resolver=None, prefix=""):
    import re

    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        pattern = str(entry.pattern)
        if isinstance(entry, URLResolver):
            if pattern.startswith("admin/"):
                continue
            yield from _routes(entry, prefix + pattern)
        elif isinstance(entry, URLPattern):
            full = prefix + pattern
            if "format" in full:
                continue  # DRF's format-suffix twins of the plain routes
            full = re.sub(r"\(\?P<\w+>[^)]*\)", "1", full).replace("^", "").replace("$", "")
            path = "/" + re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLE[m.group(1) or "str"], full)
            yield entry.name, path


def screen_routes():
    return sorted({(n, p) for n, p in _routes() if n not in PUBLIC and not p.startswith("/api/")})


def api_routes():
    return sorted({(n, p) for n, p in _routes() if n not in PUBLIC and p.startswith("/api/")})


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "path"), screen_routes())
def test_anonymous_visitor_is_sent_to_login_from_every_screen(client, name, path):
    response = client.get(path)
    assert response.status_code == 302, f"{name} {path} answered {response.status_code}"
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "path"), api_routes())
def test_anonymous_caller_is_refused_by_every_api_route(client, name, path):
    assert client.get(path).status_code in (401, 403), f"{name} {path}"


def test_there_are_screens_to_check():
    assert ("home", "/") in screen_routes()


def test_annotator_cannot_open_the_admin(client, annotator):
    client.force_login(annotator)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert client.get("/admin/annotations/annotation/").status_code == 302


# Users, groups, tokens and per-person profiles span projects: only superusers manage them.
SUPERUSER_ONLY_APPS = {"auth", "authtoken", "quality", "axes"}


def test_project_admin_opens_every_project_changelist_and_no_user_or_token_one(client, project_admin, make_project):
    from django.contrib import admin

    make_project(members=[project_admin])
    client.force_login(project_admin)
    for model in admin.site._registry:
        meta = model._meta
        url = f"/admin/{meta.app_label}/{meta.model_name}/"
        expected = 403 if meta.app_label in SUPERUSER_ONLY_APPS else 200
        assert client.get(url).status_code == expected, url


def test_home_is_role_aware(client, annotator, reviewer, make_project):
    make_project(members=[annotator, reviewer], slug="essays")
    client.force_login(annotator)
    body = client.get("/").content.decode()
    assert 'data-testid="annotator-home"' in body and "Essays" in body
    assert 'data-testid="admin-home"' not in body
    client.force_login(reviewer)
    body = client.get("/").content.decode()
    assert 'data-testid="reviewer-home"' in body and 'data-testid="annotator-home"' not in body
