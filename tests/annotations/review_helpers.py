"""Builders shared by the review tests: a project with a rubric, and submitted work."""

from annotations.models import Annotation, Project, Rubric, RubricDimension
from annotations.services.work import annotation_submit

DIMENSIONS = [
    ("accuracy", "Accuracy", "Facts are right.", 2.0),
    ("clarity", "Clarity", "Easy to follow.", 1.0),
    ("completeness", "Completeness", "Answers the whole prompt.", 1.0),
]


def rubric_add(project: Project, *, dims=DIMENSIONS, scale=(1, 5)) -> Rubric:
    rubric = Rubric.objects.create(project=project, name="Rubric", guideline_version=project.current_guideline())
    for order, (key, name, description, weight) in enumerate(dims):
        RubricDimension.objects.create(
            rubric=rubric,
            key=key,
            name=name,
            description=description,
            weight=weight,
            order=order,
            scale_min=scale[0],
            scale_max=scale[1],
        )
    return rubric


def submitted(project: Project, annotator, *, task=None, result=None, reviews_wanted: int | None = None) -> Annotation:
    task = task or project.tasks.exclude(annotations__annotator=annotator).order_by("id").first()
    annotation = Annotation.objects.create(
        task=task, annotator=annotator, guideline_version=project.current_guideline()
    )
    annotation_submit(annotation=annotation, result=result or {"text": f"An answer by {annotator.username}."})
    if reviews_wanted is not None:
        annotation.reviews_wanted = reviews_wanted
        annotation.save(update_fields=["reviews_wanted"])
    return annotation


GOOD = {"accuracy": 4, "clarity": 5, "completeness": 3}
