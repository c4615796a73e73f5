import pytest

pytestmark = pytest.mark.e2e


def test_annotator_logs_in_and_sees_home(page, login, annotator, make_project):
    make_project(members=[annotator], slug="essays")
    login("ann1")
    assert page.get_by_test_id("who").inner_text() == "ann1"
    home = page.get_by_test_id("annotator-home")
    assert home.is_visible()
    assert "Essays" in home.inner_text()
    assert page.get_by_test_id("admin-home").count() == 0


def test_wrong_password_is_refused(page, annotator):
    page.goto("/accounts/login/")
    page.fill("input[name=username]", "ann1")
    page.fill("input[name=password]", "wrong")
    page.click("button[type=submit]")
    assert page.get_by_role("alert").inner_text().startswith("Your username and password didn't match")
