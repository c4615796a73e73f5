"""Odd numbers, oversized ids and deep JSON anywhere in the HTTP surface: a 4xx naming the field,
never a 500; every DRF error in one documented shape {"detail": ..., "errors": {field: [...]}}."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token

from annotations.models import Annotation, Assignment, Membership, Project

BIG = "99999999999999999999"  # past 2**64
JUST_PAST = "9223372036854775808"  # 2**63


def _error_shape(body: dict) -> None:
    """The documented error body: detail always (text); errors, when present, field -> list of text."""
    assert isinstance(body.get("detail"), str) and body["detail"], body
    if "errors" in body:
        assert isinstance(body["errors"], dict) and body["errors"], body
        for field, messages in body["errors"].items():
            assert isinstance(field, str)
            assert isinstance(messages, list) and messages and all(isinstance(m, str) for m in messages), body


@pytest.fixture
def team(db, make_project):
    """A compare project whose one user is its admin, reviewer and annotator."""
    user = get_user_model().objects.create_user(username="boss", password="test-pass-123")
    project = make_project(Project.Kind.COMPARE, tasks=3)
    for role in Membership.Role.values:
        Membership.objects.get_or_create(project=project, user=user, role=role)
    return {"user": user, "project": project}


@pytest.fixture
def browser(team):
    client = Client(raise_request_exception=False)
    client.force_login(team["user"])
    return client


@pytest.fixture
def api(team):
    token = Token.objects.create(user=team["user"])
    return Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Token {token.key}")


def _claimed_annotation(browser, project) -> Annotation:
    assert browser.get(f"/work/{project.pk}/").status_code == 200
    return Annotation.objects.get(task__project=project, assignment__state=Assignment.State.ACTIVE)


# --- Odd numbers in query strings and forms -----------------------------------------------------


@pytest.mark.parametrize("raw", ["²", "١", BIG, "-1", "1.5", "1e3"])
def test_review_queue_screen_names_a_bad_project_filter(browser, raw):
    response = browser.get("/review/", {"project": raw})
    assert response.status_code == 200
    assert response.context["errors"]["project"]
    assert "project_id" not in response.context["filters"]


@pytest.mark.parametrize("raw", ["²", BIG, JUST_PAST])
def test_review_queue_api_refuses_a_bad_project_filter_naming_it(api, raw):
    response = api.get("/api/reviews/queue/", {"project": raw})
    assert response.status_code == 400
    body = response.json()
    _error_shape(body)
    assert "project" in body["errors"]
    assert "project" in body["detail"].lower()


@pytest.mark.parametrize("raw", ["²", BIG, "x"])
def test_adjudication_ignores_nothing_silently_and_never_crashes_on_odd_considered_ids(browser, team, raw):
    task = team["project"].tasks.first()
    response = browser.post(f"/adjudicate/{task.pk}/", {"source": "annotators", "considered": [raw]})
    assert response.status_code == 422
    assert "considered" in response.context["errors"]


@pytest.mark.parametrize("raw", ["²", BIG, "-1", "4"])
def test_work_screen_refuses_an_odd_comparison_strength_beside_its_field(browser, team, raw):
    project = team["project"]
    annotation = _claimed_annotation(browser, project)
    post = {"dim-accuracy": "left", "dim-accuracy-strength": raw, "overall": "tie", "rationale": "because"}
    response = browser.post(f"/work/{project.pk}/annotations/{annotation.pk}/", post)
    assert response.status_code == 200
    assert response.context["form"]["errors"].get("error-dim-accuracy")
    annotation.refresh_from_db()
    assert annotation.state == Annotation.State.DRAFT


@pytest.mark.parametrize("raw", ["²", BIG, str(2**40), JUST_PAST])
def test_work_screen_submits_despite_an_odd_final_seq(browser, team, raw):
    project = team["project"]
    annotation = _claimed_annotation(browser, project)
    post = {"overall": "tie", "dim-accuracy": "tie", "dim-helpfulness": "tie", "rationale": "r", "final_seq": raw}
    response = browser.post(f"/work/{project.pk}/annotations/{annotation.pk}/", post)
    assert response.status_code == 302
    annotation.refresh_from_db()
    assert annotation.state == Annotation.State.SUBMITTED


@pytest.mark.parametrize("raw", ["²", "٣", BIG, "1e400", "3.5"])
def test_review_form_refuses_an_odd_score_beside_its_dimension(browser, team, make_user, raw):
    from tests.annotations.review_helpers import rubric_add, submitted

    project = team["project"]
    rubric_add(project)
    other = make_user("other", None)
    Membership.objects.create(project=project, user=other, role=Membership.Role.ANNOTATOR)
    ties = {"accuracy": {"choice": "tie"}, "helpfulness": {"choice": "tie"}}
    work = submitted(project, other, result={"dimensions": ties, "overall": {"choice": "tie"}, "rationale": "r"})
    opened = browser.get(f"/review/{work.pk}/").context["opened"]
    post = {
        "opened": opened,
        "verdict": "accept",
        "score-accuracy": raw,
        "score-clarity": "4",
        "score-completeness": "4",
    }
    response = browser.post(f"/review/{work.pk}/", post)
    assert response.status_code == 422
    assert "scores.accuracy" in response.context["errors"]
    assert not work.reviews.exists()


# --- Oversized ids in routes --------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        f"/work/{JUST_PAST}/",
        f"/work/{BIG}/",
        f"/work/1/annotations/{BIG}/",
        f"/review/{BIG}/",
        f"/adjudicate/{BIG}/",
        f"/api/projects/{BIG}/",
        f"/api/projects/{BIG}/next/",
        f"/api/projects/{BIG}/export/",
        f"/api/tasks/{BIG}/annotations/draft/",
    ],
)
def test_an_id_past_64_bits_is_not_found(browser, path):
    assert browser.get(path).status_code == 404


@pytest.mark.parametrize("path", [f"/api/tasks/{BIG}/annotations/", f"/api/projects/{BIG}/tasks/"])
def test_posting_to_an_id_past_64_bits_is_not_found(api, path):
    assert api.post(path, "{}", content_type="application/json").status_code == 404


# --- JSON bodies ------------------------------------------------------------------------------


def _submit(api, annotation, body: str):
    return api.post(f"/api/tasks/{annotation.task_id}/annotations/", body, content_type="application/json")


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ('{"result": ' + "[" * 10_000 + "]" * 10_000 + "}", "deep"),
        ('{"result": {"rationale": "x", "n": 1e400}}', "finite"),
        ('{"result": {"rationale": "x", "n": ' + str(2**64) + "}}", "64-bit"),
        ('{"result": {"rationale": "\\ud800"}}', "surrogate"),
        ('{"result": {"n": NaN}}', "NaN"),
        ('{"result": ' + "9" * 5000 + "}", "JSON"),
        ('{"result": ', "JSON"),
    ],
)
def test_a_bad_json_body_is_a_400_that_says_why(browser, api, team, body, words):
    annotation = _claimed_annotation(browser, team["project"])
    response = _submit(api, annotation, body)
    assert response.status_code == 400, response.content[:300]
    payload = response.json()
    _error_shape(payload)
    assert words.lower() in payload["detail"].lower()
    annotation.refresh_from_db()
    assert annotation.state == Annotation.State.DRAFT


def test_deep_json_is_refused_by_every_drf_body(api, team):
    deep = '{"a": ' + "[" * 5000 + "]" * 5000 + "}"
    project = team["project"]
    for method, path in (
        ("post", "/api/reviews/"),
        ("post", "/api/projects/"),
        ("patch", f"/api/projects/{project.pk}/"),
        ("put", f"/api/tasks/{project.tasks.first().pk}/annotations/draft/"),
    ):
        response = getattr(api, method)(path, deep, content_type="application/json")
        assert response.status_code == 400, (method, path, response.status_code)
        _error_shape(response.json())
        assert "deep" in response.json()["detail"]


# --- One error shape ----------------------------------------------------------------------------


def test_serializer_errors_come_with_detail_and_errors_by_field(api):
    response = api.post("/api/reviews/", {"scores": "nope"}, content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    _error_shape(body)
    assert {"annotation", "scores", "verdict"} <= set(body["errors"])
    assert "annotation" in body["detail"]


def test_nested_serializer_errors_are_flattened_to_dotted_fields(api, browser, team):
    annotation = _claimed_annotation(browser, team["project"])
    response = _submit(api, annotation, json.dumps({"result": {}, "active_seconds": "soon", "final_seq": -1}))
    assert response.status_code == 400
    body = response.json()
    _error_shape(body)
    assert {"active_seconds", "final_seq"} <= set(body["errors"])


def test_review_service_errors_come_in_the_same_shape(api, team):
    response = api.post(
        "/api/reviews/",
        {"annotation": 1, "scores": {}, "verdict": "accept"},
        content_type="application/json",
    )
    assert response.status_code in (400, 404)
    _error_shape(response.json())


def test_not_found_forbidden_and_unauthenticated_carry_detail(api, team, db):
    _error_shape(api.get("/api/projects/999999/").json())
    anonymous = Client(raise_request_exception=False)
    response = anonymous.get("/api/projects/")
    assert response.status_code in (401, 403)
    _error_shape(response.json())


# --- Property: any text in a numeric query string or form field ----------------------------------

numberish = st.one_of(
    st.text(max_size=30),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.sampled_from(["²", "³", "١٢", "½", "1e400", "nan", "inf", "0x10", " 7 ", "+3", "-0", "٣"]),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=numberish)
def test_queue_filter_never_fails_on_any_project_value(api, raw):
    response = api.get("/api/reviews/queue/", {"project": raw})
    assert response.status_code in (200, 400), (raw, response.status_code)
    if response.status_code == 400:
        body = response.json()
        _error_shape(body)
        assert "project" in body["errors"]


# --- The schema documents the errors ---------------------------------------------------------------


def _schema() -> dict:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def test_schema_validates_without_warnings(capsys):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")


def test_every_operation_documents_its_client_errors_in_the_error_shape():
    schema = _schema()
    missing = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            for code in ("400", "401", "403", "404"):
                if code not in operation["responses"]:
                    missing.append(f"{method.upper()} {path} {code}")
    assert not missing, missing
    shapeless = [
        f"{method.upper()} {path} {code}"
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in ("get", "post", "put", "patch", "delete")
        for code, response in operation["responses"].items()
        if code.startswith("4")
        and response.get("content", {}).get("application/json", {}).get("schema")
        != {"$ref": "#/components/schemas/Errors"}
    ]
    assert not shapeless, shapeless
    submit = schema["paths"]["/api/tasks/{task_id}/annotations/"]["post"]["responses"]
    assert {"409", "415"} <= set(submit)
    assert "429" in schema["paths"]["/api/telemetry/sessions/{session_id}/events/"]["post"]["responses"]
    error = schema["components"]["schemas"]["Errors"]
    assert "detail" in error["required"]
    assert set(error["properties"]) >= {"detail", "errors"}


@pytest.mark.parametrize("path", ["/api/projects/abc/", f"/api/tasks/{BIG}/annotations/", "/api/nothing-here/"])
def test_an_api_path_no_route_matches_answers_in_the_error_shape(api, path):
    response = api.get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    _error_shape(response.json())


def test_a_screen_path_no_route_matches_keeps_the_html_not_found_page(browser):
    response = browser.get(f"/work/{BIG}/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


# --- The handler and the parser on their own -------------------------------------------------------


def test_error_body_flattens_every_error_structure_to_dotted_fields():
    from workstation.api_errors import error_body

    body = error_body({"rows": [{}, {"batch": ["Too big."]}], "result": {"text": ["Required."]}, "__all__": ["No."]})
    assert body["errors"] == {"rows.1.batch": ["Too big."], "result.text": ["Required."], "non_field_errors": ["No."]}
    assert body["detail"].startswith("rows.1.batch: Too big.")
    assert error_body(["Send a list."]) == {"detail": "Send a list.", "errors": {"non_field_errors": ["Send a list."]}}
    assert error_body({"detail": "Not found."}) == {"detail": "Not found."}


def test_a_service_refusal_no_view_caught_is_a_400_not_a_500():
    from django.core.exceptions import ValidationError

    from annotations.inputs import InputError
    from workstation.api_errors import exception_handler

    response = exception_handler(ValidationError({"verdict": ["Choose one."]}), {})
    assert response.status_code == 400
    assert response.data == {"detail": "verdict: Choose one.", "errors": {"verdict": ["Choose one."]}}
    response = exception_handler(InputError("text contains a NUL character"), {})
    assert response.status_code == 400 and "NUL" in response.data["detail"]


json_text = st.recursive(
    st.one_of(
        st.integers(min_value=-(2**80), max_value=2**80).map(str),
        st.floats(allow_nan=False, allow_infinity=False).map(repr),
        st.sampled_from(["1e400", "-1e400", "NaN", "Infinity", "9" * 5000, '"\\ud800"', '"\\u0000"', "true", "null"]),
        st.text(max_size=20).map(json.dumps),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(lambda items: "[" + ",".join(items) + "]"),
        st.lists(st.tuples(st.text(max_size=5).map(json.dumps), inner), max_size=4).map(
            lambda pairs: "{" + ",".join(f"{k}:{v}" for k, v in pairs) + "}"
        ),
        st.integers(min_value=30, max_value=3000).map(lambda depth: "[" * depth + "]" * depth),
        inner.map(lambda text: text[: len(text) // 2]),  # cut short
    ),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(text=json_text)
def test_the_json_parser_returns_checked_json_or_a_parse_error_never_anything_else(text):
    import io

    from rest_framework.exceptions import ParseError

    from annotations.inputs import json_problem
    from workstation.api_errors import BODY_MAX_DEPTH, JSONParser

    try:
        value = JSONParser().parse(io.BytesIO(text.encode("utf-8", "surrogatepass")))
    except ParseError as exc:
        assert str(exc.detail).startswith("JSON parse error: ")
    else:
        assert json_problem(value, max_depth=BODY_MAX_DEPTH) is None


@settings(max_examples=200, deadline=None)
@given(raw=numberish)
def test_a_form_number_is_a_64_bit_whole_number_or_absent(raw):
    from annotations.inputs import MAX_INT
    from annotations.parsing import number_from_post, optional_integer

    value = optional_integer(raw, field="strength")
    text = raw.strip()
    digits = text[1:] if text[:1] in ("+", "-") else text
    whole = digits.isascii() and digits.isdigit() and len(digits) <= 19
    expected = (-1 if text.startswith("-") else 1) * int(digits) if whole else None
    if expected is None or not 0 <= expected <= MAX_INT:
        assert value is None
    else:
        assert value == expected
    assert number_from_post({"final_seq": raw}, "final_seq", integer=True) == value
    seconds = number_from_post({"active_seconds": raw}, "active_seconds")
    assert seconds is None or (seconds >= 0 and seconds != float("inf"))
