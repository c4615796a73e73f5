"""manage.py export PROJECT --format jsonl|csv|trl [--output FILE] [filters]

Filters as in the API: --include-rejected, --accepted-only, --min-score N, --exclude-flagged,
--exclude-guideline-version N (repeatable). Exits non-zero when a filter is bad or the export fails
while streaming (the export is then marked failed with the reason).
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from annotations.management.commands.import_tasks import project_lookup
from annotations.services.io import EXPORT_FORMATS, ExportFailed, export_create, export_stream


class Command(BaseCommand):
    help = (
        "Export a project's submitted annotations (recorded as an Export so outcomes can be reported against it); "
        "rejected work is left out unless --include-rejected."
    )

    def add_arguments(self, parser):
        parser.add_argument("project", help="project id or slug")
        parser.add_argument("--format", choices=EXPORT_FORMATS, default="jsonl")
        parser.add_argument("--output", help="file to write (default: standard output)")
        parser.add_argument("--include-rejected", action="store_true", help="keep work a reviewer rejected")
        parser.add_argument("--accepted-only", action="store_true", help="only work whose reviews all accept it")
        parser.add_argument("--min-score", help="minimum weighted review score (rubric weights)")
        parser.add_argument("--exclude-flagged", action="store_true", help="leave out work with telemetry flags")
        parser.add_argument(
            "--exclude-guideline-version", action="append", default=[], help="leave out work made under it"
        )

    def handle(self, *args, project, format, output=None, **options):
        target = project_lookup(project)
        filters = {
            "include_rejected": options["include_rejected"],
            "accepted_only": options["accepted_only"],
            "min_score": options["min_score"],
            "exclude_flagged": options["exclude_flagged"],
            "exclude_guideline_versions": options["exclude_guideline_version"],
        }
        try:
            export = export_create(project=target, fmt=format, filters=filters)
        except ValidationError as exc:
            raise CommandError("; ".join(m for ms in exc.message_dict.values() for m in ms)) from exc
        try:
            if output:
                with open(output, "w", encoding="utf-8", newline="") as out:
                    for piece in export_stream(export=export):
                        out.write(piece)
            else:
                for piece in export_stream(export=export):
                    self.stdout.write(piece, ending="")
        except ExportFailed as exc:
            raise CommandError(f"export {export.uid} failed after a partial write: {exc}") from exc
        summary = f"export {export.uid}: {export.annotation_count} annotations ({format})"
        if export.left_out:
            summary += "; left out: " + ", ".join(f"{reason} {n}" for reason, n in export.left_out.items())
        self.stderr.write(summary)
