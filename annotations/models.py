"""The work: projects, guidelines, rubrics, tasks, assignments, annotations, reviews,
adjudications, exports and the outcomes reported against them. Data and invariants only."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

User = settings.AUTH_USER_MODEL


class Project(models.Model):
    class Kind(models.TextChoices):
        WRITE = "write", "Free-text writing"
        CLASSIFY = "classify", "Classification"
        COMPARE = "compare", "Pairwise comparison (RLHF)"

    class Phase(models.TextChoices):
        VALIDATION = "validation", "Validation"
        PRODUCTION = "production", "Production"

    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # classify: the label set (list of strings); multi_label allows several per task.
    labels = models.JSONField(default=list, blank=True)
    multi_label = models.BooleanField(default=False)
    # write/classify: whether a free-text field (response or rationale) is required.
    text_required = models.BooleanField(default=True)
    # compare: [{"key": "accuracy", "name": "Accuracy", "description": "..."}]
    comparison_dimensions = models.JSONField(default=list, blank=True)
    # Length guidance for the free text (write: the response; classify and compare: the rationale).
    min_words = models.PositiveIntegerField(
        default=0,
        help_text="Fewest words the free text should have (write: the response; classify and compare: the "
        "rationale); 0 means no minimum. The editor counts words as they are typed and asks for a second "
        "submit when the text is shorter; the work is stored either way.",
    )
    max_words = models.PositiveIntegerField(
        default=0,
        help_text="Most words the free text should have; 0 means no maximum. Longer text gets the same warning "
        "before submit; the work is stored either way.",
    )
    overlap = models.PositiveSmallIntegerField(
        "overlap k",
        default=1,
        validators=[MinValueValidator(1)],
        help_text="How many different annotators work on each task. Routing gives a task to at most this many "
        "people and never twice to the same person.",
    )
    gold_rate = models.FloatField(
        default=0.0,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text="Share (0-1) of gold tasks (tasks with a gold answer) to mix into each annotator's work. "
        "Does nothing yet: routing does not inject gold tasks and no work is scored against gold answers.",
    )
    validation_batch_size = models.PositiveIntegerField(
        default=50,
        help_text="How many tasks the validation batch holds before the project may move to production. "
        "Does nothing yet: no validation gate runs.",
    )
    iaa_threshold = models.FloatField(
        "IAA threshold",
        default=0.6,
        help_text="Inter-annotator agreement the validation batch must reach before production. "
        "Does nothing yet: no validation gate runs.",
    )
    phase = models.CharField(max_length=16, choices=Phase.choices, default=Phase.VALIDATION)
    telemetry_enabled = models.BooleanField(
        default=True,
        help_text="Record how answers are written (key classes, pastes, reference reading, text snapshots) "
        "and compute signals and flags for reviewers. Off: new work opens no editor session and gets no signals.",
    )
    expected_minutes = models.FloatField(
        "expected minutes per task",
        default=5.0,
        help_text="How long a task of middle difficulty should take; the signals compare each annotation's "
        "active time against it (scaled by the task's difficulty).",
    )
    assignment_ttl_minutes = models.PositiveIntegerField(
        default=60,
        help_text="How long a claimed task stays reserved for its annotator; then the claim expires and "
        "the task goes back to routing.",
    )
    blind_review = models.BooleanField(
        default=False, help_text="Hide who wrote an annotation from reviewers (review screens and API)."
    )
    double_review_rate = models.FloatField(
        default=0.1,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text="Share (0-1) of annotations drawn at their first submission to want two reviewers; "
        "reviewer calibration measures agreement on them.",
    )
    show_exemplars = models.BooleanField(
        default=False,
        help_text="Show annotators anonymised work that reviewers marked exemplary, next to their tasks.",
    )
    # Per-project overrides of telemetry flag thresholds, e.g. {"paste_dominant": 0.6}.
    flag_thresholds = models.JSONField(
        default=dict,
        blank=True,
        help_text='Per flag, as JSON: a number replaces its main threshold ({"paste_dominant": 0.6}), an '
        'object replaces named parameters ({"transcription_rhythm": {"min_keys": 50}}), false turns it off. '
        "Applies to signals computed from now on (at submit, or manage.py recompute_signals).",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.min_words and self.max_words and self.min_words > self.max_words:
            raise ValidationError(
                {"max_words": f"The maximum ({self.max_words} words) is below the minimum ({self.min_words})."}
            )

    def current_guideline(self) -> "GuidelineVersion | None":
        return self.guideline_versions.order_by("-number").first()


class Membership(models.Model):
    """Who does what in one project. Every access rule asks this (annotations/access.py); superusers
    stand above it. A person may hold several roles in a project (an admin who also reviews)."""

    class Role(models.TextChoices):
        ADMIN = "admin", "Project admin"
        REVIEWER = "reviewer", "Reviewer"
        ANNOTATOR = "annotator", "Annotator"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "role", "user"]
        constraints = [models.UniqueConstraint(fields=["project", "user", "role"], name="membership_unique_role")]
        indexes = [models.Index(fields=["user", "role", "project"], name="membership_user_role_idx")]

    def __str__(self) -> str:
        return f"{self.user} is {self.role} in {self.project.slug}"


class GuidelineVersion(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="guideline_versions")
    number = models.PositiveIntegerField()
    text = models.TextField(help_text="Markdown.")
    change_summary = models.TextField(blank=True, help_text="What changed since the previous version.")
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "-number"]
        constraints = [models.UniqueConstraint(fields=["project", "number"], name="guideline_unique_number")]

    def __str__(self) -> str:
        return f"{self.project.slug} v{self.number}"


class Rubric(models.Model):
    """The dimensions reviewers score on; versioned with the guidelines."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="rubrics")
    guideline_version = models.ForeignKey(
        GuidelineVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="rubrics"
    )
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "-id"]

    def __str__(self) -> str:
        return f"{self.project.slug}: {self.name}"


class RubricDimension(models.Model):
    rubric = models.ForeignKey(Rubric, on_delete=models.CASCADE, related_name="dimensions")
    key = models.SlugField()
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    scale_min = models.PositiveSmallIntegerField(default=1)
    scale_max = models.PositiveSmallIntegerField(default=5)
    weight = models.FloatField(default=1.0)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["rubric", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["rubric", "key"], name="dimension_unique_key")]

    def __str__(self) -> str:
        return f"{self.name} ({self.scale_min}-{self.scale_max})"


class Task(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="tasks")
    external_id = models.CharField(max_length=200, null=True, blank=True)
    # write: {"prompt": ...}; classify: {"text": ...}; compare: {"prompt", "response_a", "response_b"}
    payload = models.JSONField()
    # [{"id": "r1", "title": "...", "body": "..." | "url": "..."}]
    references = models.JSONField(default=list, blank=True)
    domain_tags = models.JSONField(default=list, blank=True)
    difficulty = models.PositiveSmallIntegerField(default=3, validators=[MinValueValidator(1), MaxValueValidator(5)])
    model_uncertainty = models.FloatField(default=0.0, help_text="0-1 (active learning); higher is routed first.")
    gold_answer = models.JSONField(null=True, blank=True)
    batch = models.PositiveIntegerField(default=0)
    # Routing bookkeeping: how many of the project's k slots are taken (active or submitted).
    slots_taken = models.PositiveSmallIntegerField(default=0)
    # slots_taken >= project.overlap, kept beside it so the routing index skips full tasks.
    is_full = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "external_id"], name="task_unique_external_id"),
        ]
        indexes = [models.Index(fields=["project", "is_full", "-model_uncertainty", "id"], name="task_routing_idx")]

    def __str__(self) -> str:
        return f"Task {self.pk} ({self.project.slug})"

    @property
    def is_gold(self) -> bool:
        return self.gold_answer is not None


class Assignment(models.Model):
    class State(models.TextChoices):
        ACTIVE = "active", "Active"
        SUBMITTED = "submitted", "Submitted"
        SKIPPED = "skipped", "Skipped"
        EXPIRED = "expired", "Expired"

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="assignments")
    annotator = models.ForeignKey(User, on_delete=models.CASCADE, related_name="assignments")
    state = models.CharField(max_length=16, choices=State.choices, default=State.ACTIVE)
    claimed_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    routed_because = models.TextField(blank=True, help_text="Why the router chose this task for this person.")
    skip_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-claimed_at"]
        constraints = [models.UniqueConstraint(fields=["task", "annotator"], name="assignment_once_per_annotator")]
        indexes = [
            models.Index(fields=["annotator", "state"], name="assignment_user_state_idx"),
            models.Index(fields=["state", "expires_at"], name="assignment_expiry_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.annotator} → task {self.task_id} ({self.state})"


class Annotation(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        RETURNED = "returned", "Returned for revision"

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="annotations")
    annotator = models.ForeignKey(User, on_delete=models.CASCADE, related_name="annotations")
    assignment = models.OneToOneField(
        Assignment, null=True, blank=True, on_delete=models.SET_NULL, related_name="annotation"
    )
    result = models.JSONField(default=dict, blank=True)
    guideline_version = models.ForeignKey(
        GuidelineVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="annotations"
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.DRAFT)
    # compare: which response was shown on the left ("a" or "b"), randomised and recorded.
    left_response = models.CharField(max_length=1, blank=True)
    version = models.PositiveIntegerField(default=1, help_text="Increments on each resubmission after a revise.")
    reviews_wanted = models.PositiveSmallIntegerField(default=1)
    started_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    active_seconds = models.FloatField(default=0.0)
    # When the draft (typed so far, never validated) was last saved: the work screen shows it.
    draft_saved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["task", "annotator"], name="annotation_once_per_annotator")]
        indexes = [
            models.Index(fields=["annotator", "state", "submitted_at"], name="annotation_user_idx"),
            models.Index(fields=["state", "submitted_at"], name="annotation_state_idx"),
        ]

    def __str__(self) -> str:
        return f"Annotation {self.pk} by {self.annotator} on task {self.task_id}"


class AnnotationVersion(models.Model):
    """A submitted result, kept when the annotation is sent back and resubmitted."""

    annotation = models.ForeignKey(Annotation, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    result = models.JSONField()
    guideline_version = models.ForeignKey(
        GuidelineVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField()

    class Meta:
        ordering = ["annotation", "number"]
        constraints = [models.UniqueConstraint(fields=["annotation", "number"], name="annotation_version_unique")]

    def __str__(self) -> str:
        return f"Annotation {self.annotation_id} v{self.number}"


class Review(models.Model):
    class Verdict(models.TextChoices):
        ACCEPT = "accept", "Accept"
        REVISE = "revise", "Revise"
        REJECT = "reject", "Reject"

    annotation = models.ForeignKey(Annotation, on_delete=models.CASCADE, related_name="reviews")
    annotation_version = models.PositiveIntegerField(default=1)
    reviewer = models.ForeignKey(User, on_delete=models.CASCADE, related_name="reviews_given")
    rubric = models.ForeignKey(Rubric, null=True, blank=True, on_delete=models.PROTECT, related_name="reviews")
    scores = models.JSONField(default=dict, help_text="{dimension key: score}")
    verdict = models.CharField(max_length=16, choices=Verdict.choices)
    exemplary = models.BooleanField(default=False)
    exemplar_note = models.TextField(blank=True, help_text="Why this is excellent (shown with the exemplar).")
    feedback = models.TextField(blank=True)
    seconds_spent = models.FloatField(default=0.0)
    guideline_version = models.ForeignKey(
        GuidelineVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="reviews"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["annotation", "annotation_version", "reviewer"], name="review_once_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"Review of {self.annotation_id} by {self.reviewer} ({self.verdict})"


class Adjudication(models.Model):
    class Source(models.TextChoices):
        ANNOTATORS = "annotators", "Annotators disagreed"
        REVIEWERS = "reviewers", "Reviewers disagreed"

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="adjudications")
    adjudicator = models.ForeignKey(User, on_delete=models.PROTECT, related_name="adjudications")
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.ANNOTATORS)
    considered = models.ManyToManyField(Annotation, blank=True, related_name="adjudications")
    final_result = models.JSONField()
    reasoning = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Adjudication of task {self.task_id} by {self.adjudicator}"


class Export(models.Model):
    """Remembers exactly which annotations it held, so outcomes can flow back; and which filters chose
    them, with how many annotations each reason left out, so it is known what was left out and why."""

    class Format(models.TextChoices):
        JSONL = "jsonl", "JSON lines"
        CSV = "csv", "CSV"
        TRL = "trl", "TRL preference pairs"

    class State(models.TextChoices):
        READY = "ready", "Ready to download"
        FAILED = "failed", "Failed while streaming"

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="exports")
    format = models.CharField(max_length=8, choices=Format.choices)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    annotation_count = models.PositiveIntegerField(default=0)
    annotations = models.ManyToManyField(Annotation, through="ExportItem", related_name="exports")
    # The cleaned filters (annotations/services/io_export.py export_filters_clean), defaults included.
    filters = models.JSONField(default=dict, blank=True)
    # {reason: how many submitted annotations it left out}, each annotation under its first reason.
    left_out = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.READY)
    failure = models.TextField(blank=True, help_text="Why the last download failed (empty once one completes).")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Export {self.uid} ({self.project.slug}, {self.format})"


class ExportItem(models.Model):
    """One annotation an export holds, at its version, with the review status it was chosen under."""

    class ReviewStatus(models.TextChoices):
        UNREVIEWED = "unreviewed", "Unreviewed"
        ACCEPTED = "accepted", "Accepted"
        REVISE = "revise", "Sent back for revision"
        REJECTED = "rejected", "Rejected"

    export = models.ForeignKey(Export, on_delete=models.CASCADE, related_name="items")
    annotation = models.ForeignKey(Annotation, on_delete=models.CASCADE, related_name="export_items")
    annotation_version = models.PositiveIntegerField(default=1)
    review_status = models.CharField(max_length=16, choices=ReviewStatus.choices, default=ReviewStatus.UNREVIEWED)
    # The verdicts of that version's reviews, oldest first, and their weighted score (rubric weights).
    review_verdicts = models.JSONField(default=list, blank=True)
    review_score = models.FloatField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["export", "annotation"], name="export_item_unique")]

    def __str__(self) -> str:
        return f"Export {self.export_id} item {self.annotation_id}"


class OutcomeReport(models.Model):
    """A model result reported against an export: how outcomes flow back to people and methods."""

    export = models.ForeignKey(Export, on_delete=models.CASCADE, related_name="outcomes")
    metric = models.CharField(max_length=200)
    value = models.FloatField()
    baseline = models.FloatField(null=True, blank=True)
    notes = models.TextField(blank=True)
    reported_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.metric}={self.value} on {self.export}"
