from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader

from annotations import roles
from annotations import selectors as work
from annotations import selectors_review as review
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
    if roles.is_reviewer(user):
        waiting = review.review_queue_counts(user=user)
        context["reviewer"] = {
            "projects": [
                {"project": p, "waiting": waiting["by_project"].get(p.pk, 0)}
                for p in review.review_projects_for(user=user)
            ],
            "total": waiting["total"],
        }
    return render(request, "workstation/home.html", context)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: the app's styled 500 page, rendered without the request's context (no user, no
    database: either may be what failed); under /api/ a body in the API's error shape."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Server error: the request could not be completed."}, status=500)
    return HttpResponseServerError(loader.get_template("500.html").render())
