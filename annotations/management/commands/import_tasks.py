"""manage.py import_tasks PROJECT FILE [--format jsonl|csv|labelstudio]"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from annotations.models import Project
from annotations.services.io import IMPORT_FORMATS, tasks_import_file


def project_lookup(ref: str) -> Project:
    """A project by id or slug."""
    project = Project.objects.filter(pk=int(ref)).first() if ref.isdigit() else None
    project = project or Project.objects.filter(slug=ref).first()
    if project is None:
        raise CommandError(f"No project with id or slug {ref!r}.")
    return project


class Command(BaseCommand):
    help = "Import tasks into a project from JSONL, CSV or Label Studio task JSON; bad rows are reported by line."

    def add_arguments(self, parser):
        parser.add_argument("project", help="project id or slug")
        parser.add_argument("file", help="path to the file")
        parser.add_argument("--format", choices=IMPORT_FORMATS, help="default: from the file name")

    def handle(self, *args, project, file, format=None, **options):
        target = project_lookup(project)
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {file}")
        with path.open("rb") as stream:
            report = tasks_import_file(project=target, stream=stream, fmt=format, name=path.name)
        for error in report.errors:
            where = f"line {error.line}" if error.line else path.name
            self.stderr.write(f"{where}: {error.reason}")
        self.stdout.write(
            f"{target.slug}: {report.created} created, {report.skipped} already present, {len(report.errors)} refused"
        )
        if report.errors and not report.created and not report.skipped:
            raise CommandError("Nothing was imported.")
