"""Template tags of the review console, for screens that only have a project and a task in context."""

from django import template

from annotations.selectors_review import exemplars_for

register = template.Library()


@register.simple_tag
def task_exemplars(project, task=None, limit: int = 3) -> list[dict]:
    """Anonymised exemplary work of the project (never for this same task); [] unless the project allows it."""
    if project is None or not getattr(project, "show_exemplars", False):
        return []
    return exemplars_for(project=project, exclude_task_id=getattr(task, "pk", None), limit=limit)
