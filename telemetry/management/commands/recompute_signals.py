"""Recompute the signals of submitted annotations (after a change to the features, the flags or a
project's thresholds, or to repair a row that failed to compute at submit)."""

from django.core.management.base import BaseCommand, CommandError

from annotations.models import Annotation, Project
from telemetry.signals import annotation_signals_compute


class Command(BaseCommand):
    help = "Recompute telemetry signals and flags for submitted annotations."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--project", help="Only this project (slug or id).")

    def handle(self, *args, project: str | None = None, **options) -> None:
        annotations = Annotation.objects.filter(state=Annotation.State.SUBMITTED).select_related("task__project")
        if project:
            found = Project.objects.filter(slug=project).first()
            if found is None and project.isdigit():
                found = Project.objects.filter(pk=int(project)).first()
            if found is None:
                raise CommandError(f"No project with slug or id {project!r}.")
            annotations = annotations.filter(task__project=found)
        done = flagged = 0
        for annotation in annotations.order_by("pk").iterator(chunk_size=200):
            row = annotation_signals_compute(annotation=annotation)
            done += 1
            flagged += bool(row.flags)
        self.stdout.write(f"Recomputed signals for {done} submitted annotation(s); {flagged} carry flags.")
