"""Task text and model responses as safe Markdown: `{% load markdown_tags %}{{ payload.prompt|markdown }}`.

CommonMark through markdown-it-py with raw HTML off (a `<script>` or `<img onerror>` in task data is
shown as text, never run), single line breaks kept (task text is mostly plain text written with
them), links only to http(s) addresses (annotations.inputs.web_url: `javascript:` or `data:` links
stay text) opening in a new tab without the opener, and no images (a task cannot make the
annotator's browser fetch anything).
"""

from django import template
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

from annotations.inputs import text_problem, web_url

register = template.Library()


def _renderer() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "breaks": True})
    md.disable("image")
    md.validateLink = lambda url: bool(web_url(url))

    def link_open(renderer, tokens, idx, options, env):
        tokens[idx].attrSet("rel", "noopener noreferrer")
        tokens[idx].attrSet("target", "_blank")
        return renderer.renderToken(tokens, idx, options, env)

    md.add_render_rule("link_open", link_open)
    return md


_markdown = _renderer()


def markdown_html(text) -> SafeString:
    """The text rendered as safe HTML ('' for no text; anything that is not text is shown as text)."""
    if text is None or text == "":
        return mark_safe("")
    if not isinstance(text, str):
        text = str(text)
    if text_problem(text):  # unshowable text (a lone surrogate) is repaired on read elsewhere; never rendered
        text = text.encode("utf-8", "replace").decode("utf-8").replace("\x00", "")
    return mark_safe(_markdown.render(text))  # noqa: S308 - html disabled, links checked: the output is safe


@register.filter(name="markdown")
def markdown_filter(text) -> SafeString:
    """`{{ value|markdown }}`: safe Markdown HTML of task text or a response."""
    return markdown_html(text)
