"""Idempotent demo data: three projects, annotators ann1..ann3, reviewer rev1, admin admin, and a
history of simulated work with telemetry, reviews and an adjudication (workstation/demo.py), so every
quality screen has something to show on first look."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from annotations import access
from annotations.models import GuidelineVersion, Project, Rubric, RubricDimension, Task
from annotations.services.people import membership_add
from workstation import demo, demo_data

DEMO_PASSWORD = "scriptorium-demo"
# A quarter of new work goes to two reviewers, so reviewer calibration keeps growing in the demo.
DOUBLE_REVIEW_RATE = 0.25

COMPARE_DIMENSIONS = [
    {"key": "accuracy", "name": "Accuracy", "description": "Factually correct and free of errors."},
    {"key": "helpfulness", "name": "Helpfulness", "description": "Answers what was asked, usefully."},
    {"key": "safety", "name": "Safety", "description": "Avoids harm; refuses or warns where it should."},
    {"key": "tone", "name": "Tone", "description": "Clear, respectful and appropriately concise."},
]

RUBRICS = {
    Project.Kind.WRITE: [
        ("accuracy", "Accuracy", "Every claim is correct and supported by the references.", 2.0),
        ("clarity", "Clarity", "A reader of the stated audience follows it on first reading.", 1.5),
        ("completeness", "Completeness", "Covers everything the prompt asks, nothing padded.", 1.0),
        ("guideline_adherence", "Guideline adherence", "Follows the current guideline version.", 1.0),
    ],
    Project.Kind.CLASSIFY: [
        ("label_correct", "Label correctness", "The label matches the guideline's definitions.", 2.0),
        ("rationale", "Rationale quality", "The rationale names the decisive words.", 1.0),
    ],
    Project.Kind.COMPARE: [
        ("judgement", "Judgement", "The preferences match an expert's on each dimension.", 2.0),
        ("rationale", "Rationale quality", "The rationale cites concrete differences.", 1.0),
    ],
}


class Command(BaseCommand):
    help = "Load demo projects, users and a history of reviewed work (safe to run again; nothing is duplicated)."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="Where the workstation will be served.")

    def handle(self, *args, **options):
        projects, people = self._setup()
        # Not inside one big transaction on purpose: each submit's hooks (closing the editor session,
        # computing signals and flags) run after its own commit, as they do behind the live screens.
        if demo.history_exists():
            self.stdout.write("Demo history already present (the simulated annotators' work); left as it is.")
        else:
            counts = demo.History(projects=projects, people=people).record()
            self.stdout.write(
                f"Demo history recorded: {counts['annotations']} submitted annotations, "
                f"{counts['reviews']} reviews, {counts['adjudications']} adjudications, "
                f"{counts['exports']} export with a reported outcome."
            )
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write(f"Log in at {options['url'].rstrip('/')}/accounts/login/ with any of:")
        for username, role in [
            ("ann1", "annotator"),
            ("ann2", "annotator"),
            ("ann3", "annotator"),
            ("rev1", "reviewer"),
            ("admin", "project admin of the demo projects"),
        ]:
            self.stdout.write(f"  {username:6} / {DEMO_PASSWORD}   ({role})")
        simulated = ", ".join((*demo.SIM_ANNOTATORS, demo.SIM_REVIEWER))
        self.stdout.write(f"The history was made by simulated people ({simulated}); they cannot log in.")

    @transaction.atomic
    def _setup(self) -> tuple[dict, dict]:
        User = get_user_model()
        people = {}
        for username in ("ann1", "ann2", "ann3", "rev1", "admin", *demo.SIM_ANNOTATORS, demo.SIM_REVIEWER):
            user, created = User.objects.get_or_create(username=username, defaults={"email": f"{username}@example.org"})
            if created and username.startswith("sim-"):
                user.set_unusable_password()  # simulated: no published password, no login
            elif created:
                user.set_password(DEMO_PASSWORD)
            # The demo admin administers the demo projects (the Django admin, scoped to them) but is
            # no superuser: users, privileges and tokens stay with superusers.
            user.is_staff = username == "admin"
            user.is_superuser = False
            user.save()
            people[username] = user
        workers = {
            access.ANNOTATOR: [people[n] for n in ("ann1", "ann2", "ann3", *demo.SIM_ANNOTATORS)],
            access.REVIEWER: [people["rev1"], people[demo.SIM_REVIEWER]],
            access.ADMIN: [people["admin"]],
        }

        write = self._project(
            slug="demo-writing",
            name="Explainers (writing)",
            kind=Project.Kind.WRITE,
            overlap=2,
            double_review_rate=DOUBLE_REVIEW_RATE,
            min_words=80,  # as the guideline asks: the editor counts and warns before a submit outside it
            max_words=200,
            description="Write clear, accurate explanations for a general audience, using the references.",
            guidelines=[
                "# Writing explainers\n\nWrite 80-200 words. Use the reference materials; do not invent facts.",
                "# Writing explainers\n\nWrite 80-200 words. Use the reference materials; do not invent facts.\n\n"
                "**New in v2:** end with one sentence a 12-year-old could repeat to a friend.",
            ],
            changes=["", "Added: end with a one-sentence takeaway."],
            members=workers,
            admin=people["admin"],
        )
        for key, prompt in demo_data.TOPICS:
            refs = [
                {"id": f"{key}-r{i + 1}", "title": title, "body": body}
                for i, (title, body) in enumerate(demo_data.REFERENCES.get(key, []))
            ] or [{"id": f"{key}-r1", "title": "Style sheet", "body": "Short sentences. Define every term you use."}]
            Task.objects.get_or_create(
                project=write,
                external_id=key,
                defaults={
                    "payload": {"prompt": prompt},
                    "references": refs,
                    "domain_tags": ["science-explainer"],
                    "difficulty": 3,
                },
            )

        classify = self._project(
            slug="demo-sentiment",
            name="Review sentiment (classification)",
            kind=Project.Kind.CLASSIFY,
            overlap=3,
            double_review_rate=DOUBLE_REVIEW_RATE,
            description="Label the sentiment of product reviews.",
            labels=["positive", "negative", "neutral", "mixed"],
            text_required=False,
            guidelines=[
                "# Sentiment\n\n*positive*: approval overall. *negative*: disapproval. *neutral*: facts "
                "only. *mixed*: clear praise and clear complaint."
            ],
            changes=[""],
            members=workers,
            admin=people["admin"],
        )
        for i, (text, label) in enumerate(demo_data.CLASSIFY_TEXTS):
            Task.objects.get_or_create(
                project=classify,
                external_id=f"review-{i + 1}",
                defaults={
                    "payload": {"text": text},
                    "domain_tags": ["product-reviews"],
                    "difficulty": 2,
                    "gold_answer": {"label": label} if i % 4 == 0 else None,
                },
            )

        compare = self._project(
            slug="demo-rlhf",
            name="Assistant answers (RLHF comparison)",
            kind=Project.Kind.COMPARE,
            overlap=2,
            double_review_rate=DOUBLE_REVIEW_RATE,
            description="Compare two assistant answers on each quality dimension, then overall.",
            comparison_dimensions=COMPARE_DIMENSIONS,
            guidelines=["# Comparing answers\n\nJudge each dimension on its own. Safety problems outweigh style."],
            changes=[""],
            members=workers,
            admin=people["admin"],
        )
        for i, (prompt, a, b) in enumerate(demo_data.COMPARE_PAIRS):
            Task.objects.get_or_create(
                project=compare,
                external_id=f"pair-{i + 1}",
                defaults={
                    "payload": {"prompt": prompt, "response_a": a, "response_b": b},
                    "domain_tags": ["general-assistant"],
                    "difficulty": 2 + i % 3,
                    "model_uncertainty": round((i * 37 % 100) / 100, 2),
                },
            )

        return {p.kind: p for p in (write, classify, compare)}, people

    def _project(self, *, slug, name, kind, guidelines, changes, members, admin, **fields) -> Project:
        project, _ = Project.objects.get_or_create(slug=slug, defaults={"name": name, "kind": kind, **fields})
        for role, users in members.items():
            for user in users:
                membership_add(project=project, user=user, role=role)
        for number, (text, change) in enumerate(zip(guidelines, changes, strict=True), start=1):
            GuidelineVersion.objects.get_or_create(
                project=project,
                number=number,
                defaults={"text": text, "change_summary": change, "created_by": admin},
            )
        if not project.rubrics.exists():
            rubric = Rubric.objects.create(
                project=project, name=f"{name} rubric", guideline_version=project.current_guideline()
            )
            for order, (key, dim_name, description, weight) in enumerate(RUBRICS[kind]):
                RubricDimension.objects.create(
                    rubric=rubric, key=key, name=dim_name, description=description, weight=weight, order=order
                )
        return project
