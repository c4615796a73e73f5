from django.urls import path

from annotations.views import exports, feedback, review, work

app_name = "annotations"

urlpatterns: list = [
    path("work/<id:project_id>/", work.work, name="work"),
    path("work/<id:project_id>/annotations/<id:annotation_id>/", work.work_annotation, name="work_annotation"),
    # Review console, adjudication, feedback
    path("review/", review.review_queue, name="review_queue"),
    path("review/<id:annotation_id>/", review.review_annotation, name="review_annotation"),
    path("review/calibration/", review.calibration, name="review_calibration"),
    path("adjudicate/", review.adjudicate_list, name="adjudicate_list"),
    path("adjudicate/<id:task_id>/", review.adjudicate, name="adjudicate"),
    path("feedback/", feedback.feedback, name="feedback"),
    # Project admins: exports and the outcomes reported against them
    path("projects/<id:project_id>/exports/", exports.project_exports, name="project_exports"),
]
