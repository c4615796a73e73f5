"""My feedback: reviews of the caller's own work, how the scores move with experience, and the work
sent back for revision. Anyone logged in may open it; it only ever shows their own work."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from annotations import selectors_review as sel


@login_required
def feedback(request: HttpRequest) -> HttpResponse:
    reviews = list(sel.reviews_of_my_work(user=request.user)[:200])
    for review in reviews:
        dims = {d.key: d for d in review.rubric.dimensions.all()} if review.rubric else {}
        review.score_rows = [
            {
                "key": key,
                "name": dims[key].name if key in dims else key,
                "score": score,
                "max": dims[key].scale_max if key in dims else None,
            }
            for key, score in (review.scores or {}).items()
        ]
    returned = list(sel.returned_annotations_for(user=request.user))
    for annotation in returned:
        annotation.return_reviews = [
            r for r in reviews if r.annotation_id == annotation.pk and r.annotation_version == annotation.version
        ]
    context = {
        "reviews": reviews,
        "returned": returned,
        "history": sel.score_history(user=request.user),
    }
    return render(request, "annotations/feedback.html", context)
