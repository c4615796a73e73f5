"""Import and export in one place for callers: tasks in (io_import), annotations out (io_export)."""

from annotations.services.io_export import FORMATS as EXPORT_FORMATS
from annotations.services.io_export import (
    ExportFailed,
    export_create,
    export_download,
    export_filters_clean,
    export_rows,
    export_stream,
    outcome_report_create,
)
from annotations.services.io_import import FORMATS as IMPORT_FORMATS
from annotations.services.io_import import (
    ImportReport,
    RowError,
    RowInvalid,
    format_guess,
    rows_read,
    task_row_clean,
    tasks_import,
    tasks_import_file,
)

__all__ = [
    "EXPORT_FORMATS",
    "ExportFailed",
    "IMPORT_FORMATS",
    "ImportReport",
    "RowError",
    "RowInvalid",
    "export_create",
    "export_download",
    "export_filters_clean",
    "export_rows",
    "export_stream",
    "format_guess",
    "outcome_report_create",
    "rows_read",
    "task_row_clean",
    "tasks_import",
    "tasks_import_file",
]
