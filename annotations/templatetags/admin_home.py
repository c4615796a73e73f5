"""The Django admin's home for project admins: the projects they run, each with links to everything
they run in it (templates/admin/index.html)."""

from django import template
from django.db.models import Count
from django.urls import NoReverseMatch, reverse

from annotations import access

register = template.Library()


def _url(name: str, *args, query: str = "") -> str | None:
    try:
        return reverse(name, args=args) + query
    except NoReverseMatch:
        return None


def _links(project) -> list[tuple[str, str]]:
    pk = project.pk
    in_project = f"?project__id__exact={pk}"
    links = [
        ("Settings", _url("admin:annotations_project_change", pk)),
        ("Import tasks", _url("admin:annotations_project_import", pk)),
        ("Tasks", _url("admin:annotations_task_changelist", query=in_project)),
        ("Guidelines", _url("admin:annotations_guidelineversion_changelist", query=in_project)),
        ("Rubrics", _url("admin:annotations_rubric_changelist", query=in_project)),
        ("Review queue", _url("annotations:review_queue", query=f"?project={pk}")),
        ("Reviewer calibration", _url("annotations:review_calibration", query=f"?project={pk}")),
        ("Adjudication", _url("annotations:adjudicate_list", query=f"?project={pk}")),
        # The export screen where it exists; else the API's list of made exports (POST makes one).
        ("Exports", _url("annotations:project_exports", pk) or f"/api/projects/{pk}/export/"),
    ]
    return [(label, url) for label, url in links if url]


@register.simple_tag(takes_context=True)
def admin_projects(context) -> list[dict]:
    """The projects the signed-in user administers (annotations.access decides), with their links."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None:
        return []
    projects = (
        access.projects(user, access.MANAGE, active_only=False)
        .annotate(task_count=Count("tasks"))
        .order_by("-is_active", "name")
    )
    return [{"project": p, "links": _links(p)} for p in projects]
