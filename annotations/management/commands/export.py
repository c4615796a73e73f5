"""manage.py export PROJECT --format jsonl|csv|trl [--output FILE]"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from annotations.management.commands.import_tasks import project_lookup
from annotations.services.io import EXPORT_FORMATS, export_create, export_stream


class Command(BaseCommand):
    help = "Export a project's submitted annotations (recorded as an Export so outcomes can be reported against it)."

    def add_arguments(self, parser):
        parser.add_argument("project", help="project id or slug")
        parser.add_argument("--format", choices=EXPORT_FORMATS, default="jsonl")
        parser.add_argument("--output", help="file to write (default: standard output)")

    def handle(self, *args, project, format, output=None, **options):
        target = project_lookup(project)
        try:
            export = export_create(project=target, fmt=format)
        except ValidationError as exc:
            raise CommandError("; ".join(m for ms in exc.message_dict.values() for m in ms)) from exc
        if output:
            with open(output, "w", encoding="utf-8", newline="") as out:
                for piece in export_stream(export=export):
                    out.write(piece)
        else:
            for piece in export_stream(export=export):
                self.stdout.write(piece, ending="")
        summary = f"export {export.uid}: {export.annotation_count} annotations ({format})"
        if export.skipped_ties:
            summary += f"; {export.skipped_ties} ties skipped"
        self.stderr.write(summary)
