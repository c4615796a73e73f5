"""Reference materials as the screens may link them: the same filter as the import and the work screen."""

from django import template

from annotations.inputs import web_url as _web_url

register = template.Library()


@register.filter
def web_url(url) -> str:
    """`{{ ref.url|web_url }}`: the address if it is http(s), else '' (never javascript: or data:)."""
    return _web_url(url)
