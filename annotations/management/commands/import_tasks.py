"""manage.py import_tasks PROJECT FILE [--format jsonl|csv|labelstudio] [--dry-run]

Exits non-zero when any row was refused (each one is named by line on stderr); the valid rows
beside it are imported all the same. --dry-run checks and reports every row and writes nothing.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from annotations.inputs import InputError, integer_check
from annotations.models import Project
from annotations.services.io import IMPORT_FORMATS, tasks_import_file


def project_lookup(ref: str) -> Project:
    """A project by id or slug."""
    try:
        pk = integer_check(ref, field="project", minimum=1)
    except InputError:
        pk = None
    project = Project.objects.filter(pk=pk).first() if pk is not None else None
    project = project or Project.objects.filter(slug=ref).first()
    if project is None:
        raise CommandError(f"No project with id or slug {ref!r}.")
    return project


class Command(BaseCommand):
    help = (
        "Import tasks into a project from JSONL, CSV or Label Studio task JSON; bad rows are reported by line "
        "and the command exits non-zero when any row was refused."
    )

    def add_arguments(self, parser):
        parser.add_argument("project", help="project id or slug")
        parser.add_argument("file", help="path to the file")
        parser.add_argument("--format", choices=IMPORT_FORMATS, help="default: from the file name")
        parser.add_argument("--dry-run", action="store_true", help="check and report every row; write nothing")

    def handle(self, *args, project, file, format=None, dry_run=False, **options):
        target = project_lookup(project)
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {file}")
        with path.open("rb") as stream:
            report = tasks_import_file(project=target, stream=stream, fmt=format, name=path.name, dry_run=dry_run)
        for note in report.notes:
            self.stderr.write(f"{path.name}: {note}")
        for error in report.errors:
            where = f"line {error.line}" if error.line else path.name
            self.stderr.write(f"{where}: {error.reason}")
        if dry_run:
            self.stdout.write(
                f"{target.slug} (dry run, nothing written): {report.created} would be created, "
                f"{report.skipped} already present, {len(report.errors)} refused"
            )
        else:
            self.stdout.write(
                f"{target.slug}: {report.created} created, {report.skipped} already present, "
                f"{len(report.errors)} refused"
            )
        if report.errors:
            refused = len(report.errors)
            raise CommandError(f"{refused} row{'s' if refused != 1 else ''} refused (see above).")
