"""Guideline versions: the write that publishes one.

A version is published once and never edited into another: work and reviews freeze the version
they were made under (annotation_submit, review_create). Publishing fires the
`guideline_published` event after commit, so a higher layer (the agreement engine) can open a
new validation batch for it.
"""

from django.db import transaction
from django.db.models import Max

from annotations import hooks
from annotations.models import GuidelineVersion, Project


def guideline_publish(
    *, project: Project, text: str, change_summary: str = "", created_by=None, number: int | None = None
) -> GuidelineVersion:
    """Save a new guideline version of the project (numbered after the last one unless a number is
    given) and announce it once the transaction commits."""
    with transaction.atomic():
        if number is None:
            # Lock the project row so two publishers cannot take the same next number.
            Project.objects.select_for_update().filter(pk=project.pk).first()
            last = GuidelineVersion.objects.filter(project=project).aggregate(n=Max("number"))["n"] or 0
            number = last + 1
        version = GuidelineVersion.objects.create(
            project=project, number=number, text=text, change_summary=change_summary, created_by=created_by
        )
        hooks.on_commit(hooks.GUIDELINE_PUBLISHED, guideline_version=version)
    return version


def guideline_version_publish(*, version: GuidelineVersion) -> GuidelineVersion:
    """Publish a version built elsewhere (the admin's form): saved, then announced after commit."""
    with transaction.atomic():
        version.save()
        hooks.on_commit(hooks.GUIDELINE_PUBLISHED, guideline_version=version)
    return version
