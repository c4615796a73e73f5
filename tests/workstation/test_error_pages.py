"""403, 404 and 500 answer with the app's own pages when DEBUG is off (never Django's debug or bare pages),
the 500 page needs neither the database nor a user, and the favicon is served."""

import pytest
from django.test import RequestFactory
from django.urls import get_resolver

from workstation import views


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    return settings


def test_a_missing_page_is_the_styled_404(client, production, annotator):
    client.force_login(annotator)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert 'data-testid="error-page" data-status="404"' in page
    assert "Nothing here" in page and "<code>/no-such-page/</code>" in page
    assert 'class="brand"' in page  # the app's own layout (base.html), with the user's menu
    assert 'data-testid="who">ann1<' in page
    assert 'href="/"' in page


def test_a_missing_api_route_still_answers_json(client, production, annotator):
    client.force_login(annotator)
    response = client.get("/api/no-such-route/")
    assert response.status_code == 404
    assert response.json()["detail"].startswith("Not found")


def test_a_refusal_is_the_styled_403_saying_why(client, production, make_project, annotator):
    make_project(members=[annotator])
    client.force_login(annotator)
    response = client.get("/review/")
    assert response.status_code == 403
    page = response.content.decode()
    assert 'data-testid="error-page" data-status="403"' in page
    assert "The review console is for reviewers and project admins." in page
    assert "ask the admin of the project" in page


def test_the_500_handler_needs_no_database_and_no_user(production):
    # No db fixture: pytest-django refuses any query, so the page renders without the database.
    request = RequestFactory().get("/review/")  # no session, no user attached
    response = views.server_error(request)
    assert response.status_code == 500
    page = response.content.decode()
    assert 'data-testid="error-page" data-status="500"' in page
    assert "Something went wrong on our side" in page
    assert 'class="brand"' in page and "Log out" not in page


def test_the_500_handler_is_wired_and_answers_json_under_the_api(production):
    assert get_resolver().resolve_error_handler(500) is views.server_error
    response = views.server_error(RequestFactory().get("/api/projects/"))
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"


def test_the_favicon_is_served_and_linked(client, db):
    response = client.get("/static/favicon.svg")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    assert b"<svg" in b"".join(response.streaming_content)
    assert (
        '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">'
        in client.get("/accounts/login/").content.decode()
    )


def test_a_form_with_a_stale_token_gets_the_styled_403(production, annotator):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(annotator)
    response = strict.post("/accounts/logout/")
    assert response.status_code == 403
    page = response.content.decode()
    assert 'data-testid="error-page" data-status="403"' in page
    assert "This form could not be sent" in page and "CSRF verification failed" not in page
