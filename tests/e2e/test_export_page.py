"""The export page in real Chromium: an admin creates a CSV export with a filter and the browser downloads it."""

import csv
import io

import pytest

from annotations import roles
from annotations.models import Export
from annotations.services.review import review_create
from tests.annotations.review_helpers import GOOD, rubric_add, submitted

pytestmark = pytest.mark.e2e


def test_admin_creates_a_csv_export_from_the_page_and_downloads_it(
    page, login, make_user, make_project, annotator, other_annotator, reviewer
):
    admin = make_user("boss", roles.PROJECT_ADMIN)
    project = make_project(
        members=[annotator, other_annotator, reviewer, admin], tasks=2, double_review_rate=0, slug="essays"
    )
    rubric_add(project)
    kept = submitted(project, annotator, result={"text": "Light becomes sugar."})
    review_create(annotation=kept, reviewer=reviewer, scores=GOOD, verdict="accept")
    rejected = submitted(project, other_annotator, result={"text": "Off topic."})
    review_create(annotation=rejected, reviewer=reviewer, scores=GOOD, verdict="reject", feedback="Off topic.")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    login("boss")
    page.goto(f"/projects/{project.pk}/exports/")
    assert "No exports of this project yet." in page.inner_text("body")
    page.select_option("select[name=format]", "csv")
    page.check("input[name=accepted_only]")
    with page.expect_download() as made:
        page.get_by_test_id("create-export").click()
    download = made.value
    export = Export.objects.get()
    assert download.suggested_filename == f"essays-csv-{export.uid}.csv"
    with open(download.path(), encoding="utf-8") as f:
        rows = list(csv.DictReader(io.StringIO(f.read())))
    assert [row["annotation_id"] for row in rows] == [str(kept.pk)]
    assert "Light becomes sugar." in rows[0].values()

    # The page lists it with what it held and left out, and a reload does not download it again.
    listed = page.get_by_test_id(f"export-{export.uid}")
    assert "1 annotation" in listed.get_by_test_id("export-count").inner_text()
    assert "1 rejected in review" in listed.get_by_test_id("export-left-out").inner_text()
    assert "accepted only" in listed.inner_text()
    assert "made=" not in page.url
    assert errors == []
