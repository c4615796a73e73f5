"""The review queue in real Chromium: how much is waiting (home and queue agree), sorting by a column
header (the order changes, the filters stay), and the styled error pages served by daphne with DEBUG=0."""

import pytest

from telemetry.models import AnnotationSignals
from tests.annotations.review_helpers import rubric_add, submitted
from tests.conftest import DaphneServer

pytestmark = pytest.mark.e2e


@pytest.fixture
def queue(make_project, make_user, reviewer):
    """Three annotations submitted by zed, amy, mo (in that order) in one project, one in another."""
    writers = [make_user(name) for name in ("zed", "amy", "mo")]
    essays = make_project(members=[*writers, reviewer], tasks=3, double_review_rate=0.0, slug="essays")
    other = make_project(members=[writers[0], reviewer], tasks=1, double_review_rate=0.0, slug="stories")
    rubric_add(essays)
    work = [submitted(essays, w, result={"text": f"An answer by {w.username}."}) for w in writers]
    AnnotationSignals.objects.update_or_create(
        annotation=work[2], defaults={"flags": [{"flag": "paste_dominant", "label": "Paste-dominant"}]}
    )
    submitted(other, writers[0])
    return {"essays": essays, "other": other, "work": work}


def _annotators(page) -> list[str]:
    return page.locator("[data-testid=queue-row] td[data-col=annotator]").all_inner_texts()


def test_counts_match_and_a_column_header_sorts_the_queue(page, login, queue):
    login("rev1")
    assert page.get_by_test_id("reviewer-waiting-essays").inner_text() == "3"
    assert page.get_by_test_id("reviewer-waiting-stories").inner_text() == "1"
    assert page.get_by_test_id("reviewer-waiting-total").inner_text() == "4"

    page.goto("/review/")
    assert page.get_by_test_id("queue-total-count").inner_text() == "4"
    assert page.locator("[data-testid=queue-row]").count() == 4
    page.select_option("select[name=project]", str(queue["essays"].pk))
    page.wait_for_url(f"**/review/?project={queue['essays'].pk}&**")  # htmx pushes the filter form's fields
    page.get_by_test_id("queue-total-count").filter(has_text="3").wait_for()
    assert _annotators(page) == ["zed", "amy", "mo"]  # oldest submitted first

    page.get_by_test_id("sort-annotator").click()
    page.wait_for_url(f"**/review/?project={queue['essays'].pk}&sort=annotator")
    assert _annotators(page) == ["amy", "mo", "zed"]
    header = page.locator("th[data-sort-column=annotator]")
    assert header.get_attribute("aria-sort") == "ascending"
    assert "▲" in header.inner_text()
    assert page.get_by_test_id("queue-total-count").inner_text() == "3"  # the project filter stayed

    page.get_by_test_id("sort-annotator").click()
    page.wait_for_url("**sort=-annotator")
    assert _annotators(page) == ["zed", "mo", "amy"]
    assert "▼" in page.locator("th[data-sort-column=annotator]").inner_text()

    page.get_by_test_id("sort-flags").click()
    page.wait_for_url("**sort=flags")
    page.get_by_test_id("sort-flags").click()
    page.wait_for_url("**sort=-flags")
    assert _annotators(page)[0] == "mo"
    assert page.locator("[data-testid=queue-row]").first.locator("td[data-col=flags]").inner_text() == "Paste-dominant"

    page.select_option("[data-testid=flag-filter]", label="Paste-dominant")
    page.get_by_test_id("queue-total-count").filter(has_text="1").wait_for()
    assert _annotators(page) == ["mo"]
    # The project filter's counts follow the other filters without a reload.
    essays = page.locator(f"select[name=project] option[value='{queue['essays'].pk}']")
    assert essays.inner_text() == "Essays (1 waiting)"
    assert (
        page.locator(f"select[name=project] option[value='{queue['other'].pk}']").inner_text() == "Stories (0 waiting)"
    )
    assert "sort=-flags" in page.url and "flag=paste_dominant" in page.url


@pytest.fixture
def production(transactional_db):
    server = DaphneServer(
        extra_env={"DEBUG": "0", "SECRET_KEY": "x", "HTTPS": "0", "ALLOWED_HOSTS": "127.0.0.1"}
    ).start()
    yield server
    server.stop()


def test_error_pages_are_the_apps_own_with_debug_off(browser, production, make_project, annotator):
    from tests.conftest import PASSWORD

    make_project(members=[annotator], slug="essays")
    context = browser.new_context(base_url=production.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        response = page.goto("/no-such-page/")
        assert response.status == 404
        assert page.get_by_test_id("error-page").get_by_role("heading").inner_text() == "Nothing here"
        assert "Traceback" not in page.content() and "URLconf" not in page.content()
        # The app's layout, styled: the stylesheet and favicon are served with DEBUG off too.
        assert page.locator(".topbar").evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(29, 35, 48)"
        icon = page.locator("link[rel=icon]").get_attribute("href")
        assert page.request.get(icon).status == 200

        page.goto("/accounts/login/")
        page.fill("input[name=username]", annotator.username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/")
        response = page.goto("/review/")
        assert response.status == 403
        refusal = page.get_by_test_id("error-page").inner_text()
        assert "The review console is for reviewers and project admins." in refusal
        assert page.get_by_test_id("who").inner_text() == annotator.username
        page.get_by_role("link", name="Go to your home page").click()
        page.wait_for_url(f"{production.url}/")
    finally:
        context.close()


def test_blind_review_hides_the_annotator_sort(page, login, queue):
    queue["essays"].blind_review = True
    queue["essays"].save(update_fields=["blind_review"])
    login("rev1")
    page.goto(f"/review/?project={queue['essays'].pk}")
    assert page.get_by_test_id("sort-annotator").count() == 0
    assert page.get_by_test_id("sort-submitted").is_visible()
