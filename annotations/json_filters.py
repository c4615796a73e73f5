"""A filter on JSON lists that runs in SQL on every backend we support.

Django's `__contains` on a JSONField answers "does this list hold that element" on PostgreSQL and
MySQL, but SQLite has no JSON containment: there the same question is asked with json_each. Either
way the filter is applied by the database before any slicing, so a rare value is found anywhere in
a long table (a Python filter over a bounded window of rows would miss it).
"""

from django.db import connection
from django.db.models import BooleanField, F, Func, Q, Value


class _SQLiteListHas(Func):
    """EXISTS (an element of the JSON list column equals the value; with key, the element's key does)."""

    output_field = BooleanField()

    def __init__(self, column, value, *, key: str | None = None):
        self.key = key
        super().__init__(column, Value(value))

    def as_sql(self, compiler, connection, **extra_context):
        column, value = self.get_source_expressions()
        column_sql, column_params = compiler.compile(column)
        value_sql, value_params = compiler.compile(value)
        if self.key is None:
            item, item_params = "item.value", ()
        else:
            # A legacy element may be a bare string rather than an object holding the key.
            item = "CASE WHEN item.type = 'object' THEN json_extract(item.value, %s) ELSE item.value END"
            item_params = (f"$.{self.key}",)
        sql = f"EXISTS (SELECT 1 FROM json_each({column_sql}) AS item WHERE {item} = {value_sql})"
        return sql, (*column_params, *item_params, *value_params)


def json_list_has(field: str, value: str, *, key: str | None = None) -> Q:
    """A Q for rows whose JSON list `field` holds `value` (or, with key, an object whose key is value).

    `field` may cross relations (`task__domain_tags`)."""
    if connection.features.supports_json_field_contains:
        if key is None:
            return Q(**{f"{field}__contains": [value]})
        return Q(**{f"{field}__contains": [{key: value}]}) | Q(**{f"{field}__contains": [value]})
    return Q(_SQLiteListHas(F(field), value, key=key))
