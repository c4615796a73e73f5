"""Path converters for the project's routes.

`<id:name>` matches a database id of at most 18 ASCII digits, so every such id fits a 64-bit
column: a longer one (`/work/9223372036854775808/`) is a 404 before any view or query runs, where
Django's `<int:...>` would hand the view a number the database cannot hold. Registered once from
WorkstationConfig.ready(), before any URLconf is read.
"""

from django.urls import register_converter


class IdConverter:
    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(int(value))


def register() -> None:
    register_converter(IdConverter, "id")
