from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from annotations import roles
from annotations import selectors as work
from annotations.selectors_work import work_waiting_by_project


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Role-aware home: each section appears only for a role the user holds."""
    user = request.user
    context: dict = {}
    if roles.is_annotator(user):
        projects = list(work.projects_for_annotator(user=user))
        waiting = work_waiting_by_project(user=user, project_ids=[p.pk for p in projects])
        context["annotator"] = {
            "projects": [{"project": p, **waiting[p.pk]} for p in projects],
            "done_today": work.annotations_done_today(user=user),
            "feedback": list(work.latest_feedback(user=user)),
        }
    return render(request, "workstation/home.html", context)
