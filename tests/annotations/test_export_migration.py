"""Migration 0003: exports made before rows carried a review status get the status of what they hold."""

from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from annotations.models import ExportItem


def test_items_of_older_exports_get_their_review_status(transactional_db):
    before = [("annotations", "0002_membership_draft_saved_at")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    User = old.get_model("auth", "User")
    Project, Task, Annotation = (old.get_model("annotations", n) for n in ("Project", "Task", "Annotation"))
    Rubric, Dimension, Review = (old.get_model("annotations", n) for n in ("Rubric", "RubricDimension", "Review"))
    Export, Item = old.get_model("annotations", "Export"), old.get_model("annotations", "ExportItem")

    author, judge = User.objects.create(username="author"), User.objects.create(username="judge")
    project = Project.objects.create(name="P", slug="p", kind="write")
    rubric = Rubric.objects.create(project=project, name="R")
    Dimension.objects.create(rubric=rubric, key="accuracy", name="Accuracy", weight=3.0)
    Dimension.objects.create(rubric=rubric, key="clarity", name="Clarity", weight=1.0)
    work = []
    for i in range(3):
        task = Task.objects.create(project=project, payload={"prompt": f"q{i}"})
        work.append(
            Annotation.objects.create(
                task=task, annotator=author, state="submitted", result={"text": "a"}, submitted_at=timezone.now()
            )
        )
    Review.objects.create(
        annotation=work[0], reviewer=judge, rubric=rubric, verdict="reject", scores={"accuracy": 1, "clarity": 5}
    )
    Review.objects.create(
        annotation=work[1], reviewer=judge, rubric=rubric, verdict="accept", scores={"accuracy": 5, "clarity": 1}
    )
    export = Export.objects.create(project=project, format="jsonl", annotation_count=3)
    for annotation in work:
        Item.objects.create(export=export, annotation=annotation, annotation_version=1)

    call_command("migrate", "annotations", verbosity=0)
    got = {
        item.annotation_id: (item.review_status, item.review_verdicts, item.review_score)
        for item in ExportItem.objects.all()
    }
    assert got == {
        work[0].pk: ("rejected", ["reject"], 2.0),  # (3 * 1 + 1 * 5) / 4
        work[1].pk: ("accepted", ["accept"], 4.0),  # (3 * 5 + 1 * 1) / 4
        work[2].pk: ("unreviewed", [], None),
    }
