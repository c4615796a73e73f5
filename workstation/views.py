from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from annotations import roles
from annotations import selectors as work


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Role-aware home: each section appears only for a role the user holds."""
    user = request.user
    context: dict = {}
    if roles.is_annotator(user):
        context["annotator"] = {
            "projects": list(work.projects_for_annotator(user=user)),
            "done_today": work.annotations_done_today(user=user),
            "feedback": list(work.latest_feedback(user=user)),
        }
    return render(request, "workstation/home.html", context)
