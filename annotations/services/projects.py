"""Creating and changing projects, with their people (the project API and the admin call these)."""

import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from annotations import access
from annotations.inputs import json_problem, text_problem
from annotations.models import Project
from annotations.services.people import memberships_set

# The settings a project admin may give (phase is the validation gate's, not a setting).
SETTINGS = (
    "name",
    "slug",
    "description",
    "kind",
    "labels",
    "multi_label",
    "text_required",
    "comparison_dimensions",
    "min_words",
    "max_words",
    "overlap",
    "gold_rate",
    "validation_batch_size",
    "iaa_threshold",
    "telemetry_enabled",
    "expected_minutes",
    "assignment_ttl_minutes",
    "blind_review",
    "double_review_rate",
    "show_exemplars",
    "flag_thresholds",
    "is_active",
)
PEOPLE = {"members": access.ANNOTATOR, "reviewers": access.REVIEWER, "admins": access.ADMIN}
MAX_LABELS = 200
MAX_NAME = 100
_KEY = re.compile(r"[a-z0-9][a-z0-9_-]{0,49}")


def labels_problem(labels) -> str | None:
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        return "Give the labels as a list of text."
    cleaned = [x.strip() for x in labels]
    if any(not x for x in cleaned):
        return "A label cannot be empty."
    if len(cleaned) > MAX_LABELS:
        return f"{len(cleaned)} labels; the limit is {MAX_LABELS}."
    if too_long := [x for x in cleaned if len(x) > MAX_NAME]:
        return f"Label {too_long[0][:30]!r}… is over {MAX_NAME} characters."
    if len(set(cleaned)) != len(cleaned):
        return "Each label may appear only once."
    return None


def dimensions_problem(dimensions) -> str | None:
    if not isinstance(dimensions, list) or not all(isinstance(d, dict) for d in dimensions):
        return 'Give the dimensions as a list of objects: [{"key": "accuracy", "name": "Accuracy"}].'
    keys = []
    for i, dim in enumerate(dimensions, start=1):
        key = dim.get("key")
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            return f"Dimension {i}: key must be 1-50 lower-case letters, digits, '-' or '_' (got {key!r:.40})."
        for name in ("name", "description"):
            if name in dim and not isinstance(dim[name], str):
                return f"Dimension {key}: {name} must be text."
        if unknown := set(dim) - {"key", "name", "description"}:
            return f"Dimension {key}: unknown field(s) {', '.join(sorted(unknown))}."
        keys.append(key)
    if len(set(keys)) != len(keys):
        return "Each dimension key may appear only once."
    return None


def _thresholds_problem(thresholds) -> str | None:
    if not isinstance(thresholds, dict):
        return 'Give flag thresholds as an object, e.g. {"paste_dominant": 0.6}.'
    for name, value in thresholds.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"Threshold {name!r:.40} must be a number."
    return None


def _check(*, fields: dict, project: Project | None) -> dict:
    """Errors by field for the settings and the rules between them (the kind and its labels or dimensions)."""
    errors: dict[str, str] = {}
    for name, value in fields.items():
        problem = text_problem(value) if isinstance(value, str) else json_problem(value)
        if problem:
            errors[name] = f"{name} {problem}."
    kind = fields.get("kind", project.kind if project else None)
    if project is not None and "kind" in fields and fields["kind"] != project.kind and project.tasks.exists():
        errors["kind"] = f"This project already has tasks of kind {project.kind}; its kind cannot change."
    if "labels" in fields and (problem := labels_problem(fields["labels"])):
        errors["labels"] = problem
    if "comparison_dimensions" in fields and (problem := dimensions_problem(fields["comparison_dimensions"])):
        errors["comparison_dimensions"] = problem
    if "flag_thresholds" in fields and (problem := _thresholds_problem(fields["flag_thresholds"])):
        errors["flag_thresholds"] = problem
    labels = fields.get("labels", project.labels if project else [])
    dimensions = fields.get("comparison_dimensions", project.comparison_dimensions if project else [])
    if kind == Project.Kind.CLASSIFY and "labels" not in errors and len(labels or []) < 2:
        errors["labels"] = "A classification project needs at least two labels."
    if kind == Project.Kind.COMPARE and "comparison_dimensions" not in errors and not dimensions:
        errors["comparison_dimensions"] = "A comparison project needs at least one dimension."
    low = fields.get("min_words", project.min_words if project else 0)
    high = fields.get("max_words", project.max_words if project else 0)
    if isinstance(low, int) and isinstance(high, int) and low and high and low > high:
        errors["max_words"] = f"The maximum ({high} words) is below the minimum ({low})."
    slug = fields.get("slug")
    if slug and Project.objects.filter(slug=slug).exclude(pk=project.pk if project else None).exists():
        errors["slug"] = f"The slug {slug!r} is taken by another project."
    return errors


def _people_set(*, project: Project, people: dict, by) -> None:
    admins = people.get("admins")
    if admins is not None and not admins and not by.is_superuser:
        raise ValidationError({"admins": "A project needs at least one admin."})
    for key, users in people.items():
        memberships_set(project=project, role=PEOPLE[key], users=users)


@transaction.atomic
def project_create(*, by, fields: dict, people: dict) -> Project:
    """A new project; whoever creates it (unless a superuser naming the admins) is one of its admins."""
    if not access.holds_anywhere(by, access.MANAGE):
        raise PermissionDenied("Only project admins create projects.")
    unknown = set(fields) - set(SETTINGS)
    if unknown:
        raise ValidationError({name: "Not a project setting." for name in unknown})
    errors = _check(fields=fields, project=None)
    for required in ("name", "slug", "kind"):
        if not fields.get(required):
            errors.setdefault(required, f"{required} is required.")
    if errors:
        raise ValidationError(errors)
    project = Project.objects.create(**fields)
    people = dict(people)
    if not (by.is_superuser and "admins" in people):
        people["admins"] = list({u.pk: u for u in [*people.get("admins", []), by]}.values())
    _people_set(project=project, people=people, by=by)
    return project


@transaction.atomic
def project_update(*, project: Project, by, fields: dict, people: dict) -> Project:
    if not access.may(by, project, access.MANAGE):
        raise PermissionDenied("Only this project's admins change it.")
    unknown = set(fields) - set(SETTINGS)
    if unknown:
        raise ValidationError({name: "Not a project setting." for name in unknown})
    errors = _check(fields=fields, project=project)
    if errors:
        raise ValidationError(errors)
    for name, value in fields.items():
        setattr(project, name, value)
    if fields:
        project.save(update_fields=list(fields))
    _people_set(project=project, people=people, by=by)
    return project
