from django.urls import path

from annotations.views import work

app_name = "annotations"

urlpatterns: list = [
    path("work/<int:project_id>/", work.work, name="work"),
    path("work/<int:project_id>/annotations/<int:annotation_id>/", work.work_post, name="work-post"),
]
