"""My feedback: reviews of the caller's own work, how the scores move with experience (a chart per
project and rubric dimension), and the work sent back for revision. Anyone logged in may open it; it
only ever shows their own work."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from annotations import access
from annotations import selectors_review as sel
from annotations.models import Annotation

REVIEWS_SHOWN = 200


@login_required
def feedback(request: HttpRequest) -> HttpResponse:
    reviews = list(sel.reviews_of_my_work(user=request.user)[:REVIEWS_SHOWN])
    versions = sel.reviewed_versions(reviews=reviews)
    may_work = access.project_ids(request.user, access.ANNOTATE)
    for review in reviews:
        dimensions = review.rubric.dimensions.all() if review.rubric else []
        review.score_rows = sel.scores_named(scores=review.scores, dimensions=dimensions)
        annotation, project = review.annotation, review.annotation.task.project
        # Work sent back is revised on the work screen; anything else is shown as it was reviewed.
        review.revise_url = None
        if (
            annotation.state == Annotation.State.RETURNED
            and review.annotation_version == annotation.version
            and (may_work is None or project.pk in may_work)
        ):
            review.revise_url = reverse("annotations:work_annotation", args=[project.pk, annotation.pk])
        reviewed = versions.get((annotation.pk, review.annotation_version))
        review.reviewed = sel.result_display(project=project, result=reviewed.result if reviewed else annotation.result)
        review.reviewed_kept = reviewed is not None  # else the current answer stands in, and says so
    returned = list(sel.returned_annotations_for(user=request.user))
    for annotation in returned:
        annotation.return_reviews = [
            r for r in reviews if r.annotation_id == annotation.pk and r.annotation_version == annotation.version
        ]
    history = sel.score_history_by_project(user=request.user)
    context = {
        "reviews": reviews,
        "returned": returned,
        "history": history,
        "history_series": {chart: s for entry in history for chart, s in entry["series"].items()},
    }
    return render(request, "annotations/feedback.html", context)
