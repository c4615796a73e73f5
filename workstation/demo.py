"""The demo's history, made through the real services, so every quality screen has something to show.

Three simulated annotators work in each demo project with their own habits, and their editors send
the telemetry a browser would (docs/telemetry-events.md), so signals and flags are computed by the
real code at submit:

- sim-composer reads the references, types at a human rhythm, pauses between sentences, corrects
  typos and goes back to insert a word: careful, mostly right.
- sim-paster brings most of each answer in from outside: a large external paste after time away
  from the page, a dropped block, a few typed words (paste-dominant, silent insertion, off-screen).
- sim-careless types fast, reads nothing and is often wrong.

rev1 and sim-reviewer review part of it: double reviews (reviewer calibration), rejections, a
disagreement between reviewers and between annotators (open on /adjudicate/), one adjudication
already recorded, and work returned for revision and resubmitted as version 2. ann1 gets one
reviewed annotation with feedback. Times are spread over the past days after each service call, so
charts over time have a course. This module lives in workstation, the one app that may use both
annotations and telemetry.
"""

import datetime as dt
import hashlib
import math
import random
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone

from annotations.models import Adjudication, Annotation, AnnotationVersion, Assignment, Export, Project, Review
from annotations.selectors_review import disagreements, rubric_for_annotation
from annotations.services.io import export_create, outcome_report_create
from annotations.services.review import adjudication_create, review_create
from annotations.services.routing import assignment_next
from annotations.services.work import annotation_save_draft, annotation_start, annotation_submit, assignment_skip
from telemetry.ingest import events_ingest
from telemetry.models import EditorSession, Event
from telemetry.services import editor_session_open
from workstation import demo_data

COMPOSER, PASTER, CARELESS = "sim-composer", "sim-paster", "sim-careless"
SIM_ANNOTATORS = (COMPOSER, PASTER, CARELESS)
SIM_REVIEWER = "sim-reviewer"
FRAME_EVENTS = 500  # the protocol's limit per frame
SKIP_REASON = "Outside what I can explain well; leaving it to someone who knows the subject."

# What happens to each simulated annotator's n-th submission, per project kind:
#   double      two reviewers accept (calibration), scores a point apart here and there
#   split       rev1 rejects, sim-reviewer accepts: a reviewer disagreement
#   accept      rev1 accepts;  sim-accept: sim-reviewer accepts;  exemplary: rev1 accepts as an exemplar
#   reject      rev1 rejects
#   revise      rev1 returns it; the annotator resubmits (version 2), which is then accepted
#   queue       left for the review queue
PLANS = {
    Project.Kind.WRITE: {
        COMPOSER: ["double", "exemplary", "queue"],
        PASTER: ["revise", "double", "queue"],
        CARELESS: ["split", "reject", "split"],
    },
    Project.Kind.CLASSIFY: {
        COMPOSER: ["double", "exemplary", "sim-accept", "queue"],
        PASTER: ["double", "sim-accept", "queue", "queue"],
        CARELESS: ["split", "revise", "sim-accept", "queue"],
    },
    Project.Kind.COMPARE: {
        COMPOSER: ["double", "exemplary", "queue", "queue"],
        PASTER: ["revise", "double", "queue", "queue"],
        CARELESS: ["reject", "double", "queue", "sim-accept"],
    },
}
# Which of the careless annotator's submissions (by position) give a wrong answer.
CARELESS_WRONG = {Project.Kind.CLASSIFY: {0, 1, 3}, Project.Kind.COMPARE: {0, 2}}
# Comparison pairs (demo_data.COMPARE_PAIRS, from 1) where response B is the better one.
B_BETTER = {3: 1, 8: 1}


def history_exists() -> bool:
    """The marker: the simulated annotators' work exists (the history is made once)."""
    return Annotation.objects.filter(annotator__username__in=SIM_ANNOTATORS).exists()


# --- The instrumented editor -------------------------------------------------------------------


def key_class(ch: str) -> str:
    if ch == "\n":
        return "enter"
    if ch == " ":
        return "space"
    if ch.isalpha():
        return "letter"
    if ch.isdigit():
        return "digit"
    return "punct"


class Editor:
    """One page load of an instrumented editor: the events static/js/telemetry.js would send for
    what the simulated person does (key classes, never characters; pastes with length, source and
    salted hash; reference navigation; snapshots at pauses)."""

    def __init__(self, *, session: EditorSession, field: str, rng: random.Random, text: str = ""):
        self.session, self.field, self.rng = session, field, rng
        self.text = text
        self.t = 0.0
        self.events: list[dict] = []
        self.autosaves: list[tuple[int, str]] = []  # (events so far, text) when the draft saved itself

    def _emit(self, kind: str, **data) -> None:
        self.events.append({"seq": len(self.events) + 1, "t": round(self.t, 1), "k": kind, "trusted": True, **data})

    def wait(self, ms: float) -> "Editor":
        self.t += ms
        return self

    def _iki(self, median_ms: float, spread: float) -> float:
        return min(max(self.rng.lognormvariate(math.log(median_ms), spread), 25.0), 4000.0)

    def focus(self) -> "Editor":
        self.wait(self.rng.uniform(300, 1200))
        self._emit("focus", field=self.field)
        return self

    def away(self, ms: float) -> "Editor":
        """Leave the page (another window or tab) and come back."""
        self._emit("blur", field=self.field)
        self.wait(200)._emit("vis", state="hidden")
        self.wait(ms)._emit("vis", state="visible")
        self.wait(300)._emit("focus", field=self.field)
        return self

    def read(self, ref: str, ms: float) -> "Editor":
        """Open a reference material, scroll through it, close it."""
        self._emit("blur", field=self.field)
        self.wait(150)._emit("nav", ref=ref, action="open")
        for frac in (0.35, 0.7, 1.0):
            self.wait(ms / 4)._emit("scroll", ref=ref, frac=frac)
        self.wait(ms / 4)._emit("nav", ref=ref, action="close")
        self.wait(250)._emit("focus", field=self.field)
        return self

    def pause(self, ms: float) -> "Editor":
        """Stop typing; after 2 s the page snapshots the field and the draft saves itself."""
        self.wait(2000).snapshot("pause")
        self.autosaves.append((len(self.events), self.text))
        return self.wait(max(ms - 2000, 0))

    def snapshot(self, why: str) -> "Editor":
        self._emit("rev", field=self.field, text=self.text, why=why)
        return self

    def _char(self, ch: str, pos: int) -> None:
        self._emit("key", cls=key_class(ch), field=self.field)
        self.text = self.text[:pos] + ch + self.text[pos:]
        it = "insertLineBreak" if ch == "\n" else "insertText"
        self._emit("input", it=it, pos=pos, d=1, len=len(self.text), field=self.field)

    def backspace(self, count: int = 1) -> "Editor":
        for _ in range(count):
            self._emit("key", cls="backspace", field=self.field)
            pos = len(self.text)
            self.text = self.text[:-1]
            self._emit("input", it="deleteContentBackward", pos=pos, d=-1, len=len(self.text), field=self.field)
            self.wait(self._iki(120, 0.3))
        return self

    def type(
        self, text: str, *, median_ms: float, spread: float, typo_rate: float = 0.0, pause_rate: float = 0.0
    ) -> "Editor":
        """Type at the end: a typo is a wrong letter noticed and backspaced; after a sentence the
        typist may stop to think."""
        for ch in text:
            if typo_rate and ch.isalpha() and self.rng.random() < typo_rate:
                self._char("x", len(self.text))
                self.wait(self._iki(median_ms * 1.8, spread))
                self.backspace()
            self._char(ch, len(self.text))
            self.wait(self._iki(median_ms, spread))
            if ch in ".!?" and pause_rate and self.rng.random() < pause_rate:
                self.pause(self.rng.uniform(2500, 8000))
        return self

    def insert_at(self, pos: int, text: str, *, median_ms: float, spread: float) -> "Editor":
        """Click back into the text and type there (non-terminal edits)."""
        self._emit("key", cls="nav", field=self.field)
        self.wait(self._iki(median_ms * 3, spread))
        for i, ch in enumerate(text):
            self._char(ch, pos + i)
            self.wait(self._iki(median_ms, spread))
        return self

    def paste(self, text: str, src: str = "external") -> "Editor":
        """Ctrl+V: the modifier and the letter key, the paste (its salted hash, never its text) and
        the insertion it causes."""
        self._emit("key", cls="modifier", field=self.field)
        self.wait(60)._emit("key", cls="letter", field=self.field)
        digest = hashlib.sha256((self.session.salt + text).encode()).hexdigest()[:16]
        self._emit("paste", len=len(text), src=src, h=digest, field=self.field)
        pos = len(self.text)
        self.text += text
        self._emit("input", it="insertFromPaste", pos=pos, d=len(text), len=len(self.text), field=self.field)
        return self.wait(self.rng.uniform(800, 2000))

    def drop(self, text: str) -> "Editor":
        """Text dragged in from another window: an insertion no key or paste explains."""
        pos = len(self.text)
        self.text += text
        self._emit("input", it="insertFromDrop", pos=pos, d=len(text), len=len(self.text), field=self.field)
        return self.wait(self.rng.uniform(800, 2000))

    def select_and_delete(self, start: int) -> "Editor":
        """Select from `start` to the end and delete it."""
        self._emit("key", cls="nav", field=self.field)
        self.wait(600)._emit("key", cls="backspace", field=self.field)
        end = len(self.text)
        self.text = self.text[:start]
        self._emit("input", it="deleteContentBackward", pos=end, d=start - end, len=len(self.text), field=self.field)
        return self.wait(700)

    def active_seconds(self) -> float:
        """What the page's own clock reports: time between events, less idle gaps and hidden time."""
        active, previous, hidden = 0.0, 0.0, False
        for ev in self.events:
            gap = ev["t"] - previous
            if gap < 30_000 and not hidden:
                active += gap
            previous = ev["t"]
            if ev["k"] == "vis":
                hidden = ev["state"] == "hidden"
        return round(active / 1000, 1)


# --- How each simulated annotator works --------------------------------------------------------


def _sentences(text: str) -> list[str]:
    parts, start = [], 0
    for i, ch in enumerate(text):
        if ch in ".!?" and (i + 1 == len(text) or text[i + 1] == " "):
            parts.append(text[start : i + 2] if i + 1 < len(text) else text[start:])
            start = i + 2
    if start < len(text):
        parts.append(text[start:])
    return parts


def compose(editor: Editor, text: str, refs: list[str]) -> None:
    """Read each reference, type the text at a thinking pace with corrections, then go back and
    insert a word the first pass left out."""
    editor.focus()
    for ref in refs:
        editor.read(ref, editor.rng.uniform(6000, 15000))
    words = [w for w in text.split(" ")[1:8] if len(w) >= 4 and w.isalpha()]
    left_out = (words[0] + " ") if words else ""
    at = text.index(left_out) if left_out else len(text)
    first_pass = text[:at] + text[at + len(left_out) :]
    editor.wait(editor.rng.uniform(2000, 5000))
    editor.type(first_pass, median_ms=190, spread=0.55, typo_rate=0.03, pause_rate=0.7)
    editor.pause(4000)
    if left_out:
        editor.insert_at(at, left_out, median_ms=190, spread=0.5)
    editor.pause(3000)


def paste_in(editor: Editor, text: str, *, away_ms: float, src: str = "external") -> None:
    """Away from the page, back with most of the answer on the clipboard: paste it, drag in a
    further block, type the last few words."""
    editor.focus()
    if away_ms:
        editor.away(away_ms)
    first, second = int(len(text) * 0.6), int(len(text) * 0.85)
    editor.paste(text[:first], src=src)
    if second > first:
        editor.drop(text[first:second])
    editor.type(text[second:], median_ms=170, spread=0.4)
    editor.pause(2500)


def rush(editor: Editor, text: str) -> None:
    """Fast, no references, no second look."""
    editor.focus()
    editor.type(text, median_ms=85, spread=0.35)
    editor.wait(400)


# --- The simulation ----------------------------------------------------------------------------


@dataclass
class Work:
    annotation: Annotation
    persona: str
    right: bool
    when: dt.datetime


class History:
    def __init__(self, *, projects: dict[str, Project], people: dict, now: dt.datetime | None = None, seed: int = 9):
        self.projects = projects
        self.people = people  # username -> user: ann1, rev1, the simulated users
        self.now = now or timezone.now()
        self.rng = random.Random(seed)
        self.counts = {"annotations": 0, "reviews": 0, "adjudications": 0, "exports": 0}

    # Times ------------------------------------------------------------------------------------

    def _before_now(self, when: dt.datetime) -> dt.datetime:
        return min(when, self.now - dt.timedelta(minutes=30))

    def _backdate(self, *, annotation: Annotation, session: EditorSession, started, submitted, first: bool) -> None:
        fields = {"submitted_at": submitted, "draft_saved_at": submitted - dt.timedelta(seconds=30)}
        if first:
            fields["started_at"] = started
        Annotation.objects.filter(pk=annotation.pk).update(**fields)
        AnnotationVersion.objects.filter(annotation=annotation, number=annotation.version).update(
            submitted_at=submitted
        )
        if first and annotation.assignment_id:
            ttl = dt.timedelta(minutes=annotation.task.project.assignment_ttl_minutes)
            Assignment.objects.filter(pk=annotation.assignment_id).update(claimed_at=started, expires_at=started + ttl)
        EditorSession.objects.filter(pk=session.pk).update(created_at=started, closed_at=submitted)
        Event.objects.filter(session=session).update(received_at=started)
        for name, value in fields.items():
            setattr(annotation, name, value)

    # Work -------------------------------------------------------------------------------------

    def _session(self, *, annotation: Annotation, field: str, text: str = "") -> Editor:
        session = editor_session_open(annotation=annotation, user=annotation.annotator)
        return Editor(session=session, field=field, rng=self.rng, text=text)

    def _send(self, *, editor: Editor, annotation: Annotation, draft: Callable[[str], dict]) -> int:
        """Send the events frame by frame; when the page autosaved, the draft is saved there."""
        events = editor.events
        saved_at = editor.autosaves[0] if editor.autosaves else None
        sent = 0
        marks = sorted({*range(FRAME_EVENTS, len(events), FRAME_EVENTS), *([saved_at[0]] if saved_at else [])})
        for mark in [*marks, len(events)]:
            if mark > sent:
                events_ingest(session=editor.session, events=events[sent:mark])
                sent = mark
            if saved_at and mark == saved_at[0]:
                annotation_save_draft(annotation=annotation, result=draft(saved_at[1]), active_seconds=None)
        return len(events)

    def _submit(self, *, annotation, editor, result, draft, started, submitted, first=True) -> Annotation:
        editor.snapshot("submit")
        final_seq = self._send(editor=editor, annotation=annotation, draft=draft)
        annotation = annotation_submit(
            annotation=annotation, result=result, final_seq=final_seq, active_seconds=editor.active_seconds()
        )
        self._backdate(annotation=annotation, session=editor.session, started=started, submitted=submitted, first=first)
        self.counts["annotations"] += first
        return annotation

    def _claim(self, *, project: Project, user, can_do: Callable) -> Assignment | None:
        """The next task routing gives this person, skipping (with a reason) ones they have no answer for."""
        for _ in range(len(demo_data.TOPICS) + 1):
            assignment = assignment_next(project=project, user=user)
            if assignment is None or can_do(assignment.task):
                return assignment
            assignment_skip(assignment=assignment, reason=SKIP_REASON)
        return None

    def work(self, *, project: Project, clock: dt.datetime) -> dict[str, list[Work]]:
        """Round by round, each simulated annotator asks for the next task and does it."""
        plan = PLANS[project.kind]
        done: dict[str, list[Work]] = {name: [] for name in SIM_ANNOTATORS}
        for n in range(max(len(steps) for steps in plan.values())):
            for persona in SIM_ANNOTATORS:
                if n >= len(plan[persona]):
                    continue
                user = self.people[persona]
                answer = getattr(self, f"_answer_{project.kind}")
                assignment = self._claim(
                    project=project,
                    user=user,
                    can_do=lambda task, a=answer, p=persona, i=n: a(task, p, i) is not None,
                )
                if assignment is None:
                    continue
                result, right = answer(assignment.task, persona, n)
                clock += dt.timedelta(hours=self.rng.uniform(5, 14))
                submitted = self._before_now(clock)
                annotation = self._do(assignment=assignment, persona=persona, result=result, submitted=submitted)
                done[persona].append(Work(annotation=annotation, persona=persona, right=right, when=submitted))
        return done

    def _field(self, project: Project) -> str:
        return "rationale" if project.kind == Project.Kind.COMPARE else "text"

    def _do(self, *, assignment: Assignment, persona: str, result: dict, submitted) -> Annotation:
        annotation = annotation_start(assignment=assignment)
        project = assignment.task.project
        field = self._field(project)
        editor = self._session(annotation=annotation, field=field)
        text = result[field]
        refs = [str(r["id"]) for r in assignment.task.references or [] if isinstance(r, dict) and "id" in r]
        if persona == COMPOSER:
            compose(editor, text, refs if project.kind == Project.Kind.WRITE else [])
        elif persona == PASTER:
            if project.kind == Project.Kind.CLASSIFY:  # a typed lead-in, then the quote copied from the task
                lead, quote = text.split(": ", 1)
                editor.focus().type(lead + ": ", median_ms=170, spread=0.4).paste(quote, src="task")
                editor.pause(2500)
            else:
                away = 25_000 if len(text) > 200 else 0
                paste_in(editor, text, away_ms=away)
        else:
            rush(editor, text)
        started = submitted - dt.timedelta(seconds=editor.t / 1000 + 60)
        return self._submit(
            annotation=annotation,
            editor=editor,
            result=result,
            draft=lambda partial: {**result, field: partial},
            started=started,
            submitted=submitted,
        )

    # Answers per kind: (result, right) or None when this person has nothing for the task ---------

    def _answer_write(self, task, persona, n):
        texts = demo_data.WRITING_ANSWERS.get(task.external_id or "")
        if texts is None:
            return None
        return {"text": texts[persona.removeprefix("sim-")]}, persona != CARELESS

    def _answer_classify(self, task, persona, n):
        truth = _classify_truth(task)
        if truth is None:
            return None
        text, label = truth
        labels = list(task.project.labels)
        if persona == CARELESS:
            wrong = n in CARELESS_WRONG[Project.Kind.CLASSIFY]
            chosen = labels[(labels.index(label) + 1) % len(labels)] if wrong else label
            return {"label": chosen, "text": f"seems {chosen}"}, not wrong
        if persona == PASTER:
            return {"label": label, "text": f"The review says: {text}"}, True
        words = " ".join(text.rstrip(".!").split(" ")[:5])
        return {"label": label, "text": f'"{words}" decides it: {label}.'}, True

    def _answer_compare(self, task, persona, n):
        better = _compare_truth(task)
        if better is None:
            return None
        if persona == CARELESS and n in CARELESS_WRONG[Project.Kind.COMPARE]:
            worse = "b" if better == "a" else "a"
            rationale = f"{worse.upper()} is better"
            return _compare_result(task.project, choice=worse, strength=1, rationale=rationale), False
        if persona == CARELESS:
            return _compare_result(task.project, choice=better, strength=1, rationale="looks better"), True
        if persona == PASTER:
            rationale = demo_data.PASTED_RATIONALES[n % len(demo_data.PASTED_RATIONALES)]
            if better == "b":
                rationale = rationale.replace("Response A", "Response X").replace("Response B", "Response A")
                rationale = rationale.replace("Response X", "Response B")
            return _compare_result(task.project, choice=better, strength=2, rationale=rationale), True
        return _compare_result(task.project, choice=better, strength=2, rationale=_own_rationale(task, better)), True

    # Reviews ----------------------------------------------------------------------------------

    def _scores(self, annotation: Annotation, level: float) -> dict:
        rubric = rubric_for_annotation(annotation=annotation)
        return {
            d.key: max(d.scale_min, min(d.scale_max, round(level + self.rng.choice((-1, 0, 0, 1)))))
            for d in rubric.dimensions.all()
        }

    def _review(self, work: Work, reviewer: str, verdict: str, *, level: float, feedback="", note="", hours=None):
        annotation = Annotation.objects.select_related("task__project").get(pk=work.annotation.pk)
        review = review_create(
            annotation=annotation,
            reviewer=self.people[reviewer],
            scores=self._scores(annotation, level),
            verdict=verdict,
            feedback=feedback,
            exemplary=bool(note),
            exemplar_note=note,
            seconds_spent=round(self.rng.uniform(40, 240), 1),
        )
        when = self._before_now(work.when + dt.timedelta(hours=hours or self.rng.uniform(3, 20)))
        Review.objects.filter(pk=review.pk).update(created_at=when)
        self.counts["reviews"] += 1
        return when

    def review(self, *, project: Project, done: dict[str, list[Work]]) -> list[Work]:
        """Apply the plan; returns the reviewer disagreements (split reviews)."""
        kind = project.kind
        level = {COMPOSER: 4.4, PASTER: 3.4, CARELESS: 2.0}
        splits = []
        for persona, works in done.items():
            for step, work in zip(PLANS[kind][persona], works, strict=False):
                # Only work that wants two reviews gets them (drawn at submit; fixed here for the demo).
                Annotation.objects.filter(pk=work.annotation.pk).update(
                    reviews_wanted=2 if step in ("double", "split") else 1
                )
                good = level[persona] if work.right else 1.6
                if step == "double":
                    self._review(work, "rev1", "accept", level=good, feedback=_feedback(kind, persona, "accept"))
                    self._review(work, SIM_REVIEWER, "accept", level=good + 0.4)
                elif step == "split":
                    self._review(work, "rev1", "reject", level=1.6, feedback=_feedback(kind, persona, "reject"))
                    self._review(work, SIM_REVIEWER, "accept", level=3.0, feedback="Acceptable, if thin.")
                    splits.append(work)
                elif step in ("accept", "exemplary"):
                    note = _exemplar_note(kind) if step == "exemplary" else ""
                    feedback = _feedback(kind, persona, "accept")
                    self._review(work, "rev1", "accept", level=good, feedback=feedback, note=note)
                elif step == "sim-accept":
                    self._review(work, SIM_REVIEWER, "accept", level=good)
                elif step == "reject":
                    self._review(work, "rev1", "reject", level=1.4, feedback=_feedback(kind, persona, "reject"))
                elif step == "revise":
                    self._revise(project=project, work=work)
        return splits

    def _revise(self, *, project: Project, work: Work) -> None:
        """Returned with feedback, revised in a new editor session, resubmitted as version 2, accepted."""
        kind, persona = project.kind, work.persona
        returned_at = self._review(work, "rev1", "revise", level=2.6, feedback=_feedback(kind, persona, "revise"))
        annotation = Annotation.objects.select_related("task__project", "annotator").get(pk=work.annotation.pk)
        field = self._field(project)
        old = annotation.result[field]
        editor = self._session(annotation=annotation, field=field, text=old)
        editor.focus()
        if kind == Project.Kind.WRITE:
            ending = demo_data.WRITING_ANSWERS[annotation.task.external_id]["revision"]
            refs = [str(r["id"]) for r in annotation.task.references or [] if isinstance(r, dict) and "id" in r]
            for ref in refs[:1]:
                editor.read(ref, 9000)
            last = _sentences(old)[-1]
            editor.select_and_delete(len(old) - len(last))
            editor.type(ending, median_ms=200, spread=0.55, typo_rate=0.03, pause_rate=0.5)
            result = {"text": editor.text}
        elif kind == Project.Kind.CLASSIFY:
            text, label = _classify_truth(annotation.task)
            editor.select_and_delete(0)
            rationale = f"complaint and praise both, so {label}" if label == "mixed" else f"reread it: {label}"
            editor.type(rationale, median_ms=110, spread=0.4, typo_rate=0.02)
            result = {"label": label, "text": editor.text}
        else:
            better = _compare_truth(annotation.task)
            editor.select_and_delete(0)
            editor.type(_own_rationale(annotation.task, better), median_ms=200, spread=0.55, pause_rate=0.5)
            result = {**annotation.result, "rationale": editor.text}
        editor.pause(2500)
        resubmitted = self._before_now(returned_at + dt.timedelta(hours=self.rng.uniform(4, 10)))
        self._submit(
            annotation=annotation,
            editor=editor,
            result=result,
            draft=lambda partial: {**result, field: partial},
            started=resubmitted - dt.timedelta(seconds=editor.t / 1000 + 30),
            submitted=resubmitted,
            first=False,
        )
        work.when = resubmitted
        self._review(work, "rev1", "accept", level=4.0, feedback="Much better: this is your own explanation now.")

    # Adjudication -----------------------------------------------------------------------------

    def adjudicate(self, *, project: Project, splits: list[Work]) -> None:
        """Settle one disagreement (the rest stay open on /adjudicate/)."""
        rev1 = self.people["rev1"]
        if project.kind == Project.Kind.WRITE:
            if not splits:
                return
            work = splits[0]
            adjudication = adjudication_create(
                task=work.annotation.task,
                adjudicator=rev1,
                source=Adjudication.Source.REVIEWERS,
                considered=[Annotation.objects.get(pk=work.annotation.pk)],
                final_result={"verdict": "reject"},
                reasoning="The explanation contradicts both references; the accepting review overlooked that.",
            )
            when = work.when
        else:
            item = next(
                (d for d in disagreements(user=rev1, project=project) if d["source"] == Adjudication.Source.ANNOTATORS),
                None,
            )
            if item is None:
                return
            task = item["task"]
            considered = list(Annotation.objects.filter(task=task, state=Annotation.State.SUBMITTED))
            if project.kind == Project.Kind.CLASSIFY:
                text, label = _classify_truth(task)
                final = {"label": label, "text": "Per the guideline's definitions."}
                reasoning = f"The guideline's definitions make this {label}; the other answer misreads the tone."
            else:
                better = _compare_truth(task)
                final = _compare_result(project, choice=better, strength=2, rationale=_own_rationale(task, better))
                reasoning = f"Response {better.upper()} is the better answer on accuracy; the other vote ignored it."
            adjudication = adjudication_create(
                task=task,
                adjudicator=rev1,
                source=Adjudication.Source.ANNOTATORS,
                considered=considered,
                final_result=final,
                reasoning=reasoning,
            )
            when = max(a.submitted_at for a in considered)
        Adjudication.objects.filter(pk=adjudication.pk).update(
            created_at=self._before_now(when + dt.timedelta(hours=24))
        )
        self.counts["adjudications"] += 1

    # ann1's small past ------------------------------------------------------------------------

    def first_feedback(self, *, project: Project) -> None:
        """One classification by ann1, reviewed by rev1 with feedback, so /feedback/ has something."""
        ann1 = self.people["ann1"]
        if Annotation.objects.filter(annotator=ann1).exists():
            return  # a database where ann1 has worked already: their own work is never touched
        assignment = self._claim(project=project, user=ann1, can_do=lambda task: _classify_truth(task) is not None)
        if assignment is None:
            return
        text, label = _classify_truth(assignment.task)
        annotation = annotation_start(assignment=assignment)
        editor = self._session(annotation=annotation, field="text")
        result = {"label": label, "text": f"{label}, clearly."}
        editor.focus().type(result["text"], median_ms=210, spread=0.5, typo_rate=0.05)
        submitted = self.now - dt.timedelta(days=2, hours=3)
        annotation = self._submit(
            annotation=annotation,
            editor=editor,
            result=result,
            draft=lambda partial: {**result, "text": partial},
            started=submitted - dt.timedelta(seconds=editor.t / 1000 + 45),
            submitted=submitted,
        )
        Annotation.objects.filter(pk=annotation.pk).update(reviews_wanted=1)
        work = Work(annotation=annotation, persona="ann1", right=True, when=submitted)
        self._review(
            work,
            "rev1",
            "accept",
            level=4.0,
            hours=20,
            feedback="Right label. In the rationale, quote the words that decide it, as the guideline asks: "
            '"clearly" tells the next reader nothing.',
        )

    def record(self) -> dict:
        start = self.now - dt.timedelta(days=9)
        for offset, project in enumerate(self.projects.values()):
            done = self.work(project=project, clock=start + dt.timedelta(hours=offset))
            splits = self.review(project=project, done=done)
            self.adjudicate(project=project, splits=splits)
        classify = next((p for p in self.projects.values() if p.kind == Project.Kind.CLASSIFY), None)
        if classify is not None:
            self.first_feedback(project=classify)
        compare = next((p for p in self.projects.values() if p.kind == Project.Kind.COMPARE), None)
        if compare is not None:
            self.export_with_outcome(project=compare)
        return self.counts

    def export_with_outcome(self, *, project: Project) -> None:
        """What a team does next: the admin exports the accepted preference pairs (rejected work and
        flagged work left out, as the export page offers) and reports how a reward model trained on
        them did, so the export page shows an export with what it left out and an outcome."""
        admin = self.people["admin"]
        export = export_create(
            project=project, fmt="trl", user=admin, filters={"accepted_only": True, "exclude_flagged": True}
        )
        Export.objects.filter(pk=export.pk).update(created_at=self._before_now(self.now - dt.timedelta(days=1)))
        outcome_report_create(
            export=export,
            metric="reward_model_pairwise_accuracy",
            value=0.71,
            baseline=0.66,
            notes="Demo outcome, as a team would report it: held-out pairs, reward model trained on this export.",
            user=admin,
        )
        self.counts["exports"] += 1


# --- Truth and words ---------------------------------------------------------------------------


def _classify_truth(task) -> tuple[str, str] | None:
    """(text, label) of a demo classification task, from its external id review-N."""
    name = task.external_id or ""
    if not name.startswith("review-") or not name[7:].isdigit():
        return None
    index = int(name[7:]) - 1
    return demo_data.CLASSIFY_TEXTS[index] if 0 <= index < len(demo_data.CLASSIFY_TEXTS) else None


def _compare_truth(task) -> str | None:
    name = task.external_id or ""
    if not name.startswith("pair-") or not name[5:].isdigit():
        return None
    number = int(name[5:])
    if not 1 <= number <= len(demo_data.COMPARE_PAIRS):
        return None
    return "b" if number in B_BETTER else "a"


def _compare_result(project: Project, *, choice: str, strength: int, rationale: str) -> dict:
    dims = {}
    for dim in project.comparison_dimensions:
        key = dim["key"]
        if key in ("safety", "tone") and strength > 1:
            dims[key] = {"choice": "tie", "strength": 0}
        else:
            dims[key] = {"choice": choice, "strength": strength}
    return {"dimensions": dims, "overall": {"choice": choice, "strength": strength}, "rationale": rationale}


def _own_rationale(task, better: str) -> str:
    worse = "b" if better == "a" else "a"
    return (
        f"{better.upper()} answers what was asked and gets the facts right; {worse.upper()} is wrong or too "
        f"thin to help. Neither is unsafe, and the tone of both is fine."
    )


def _exemplar_note(kind: str) -> str:
    return {
        Project.Kind.WRITE: "Uses both references, defines every term and keeps to the audience.",
        Project.Kind.CLASSIFY: "Quotes exactly the words that decide the label.",
        Project.Kind.COMPARE: "Judges each dimension on its own and names the concrete difference.",
    }[kind]


def _feedback(kind: str, persona: str, verdict: str) -> str:
    if verdict == "accept":
        return {
            COMPOSER: "Clear and accurate; a good model of the guideline.",
            PASTER: "Correct, but it reads like a copied source rather than an explanation in your words.",
            CARELESS: "Acceptable, barely: read the references before you write.",
        }[persona]
    if verdict == "revise":
        return {
            Project.Kind.WRITE: "Most of this arrived pasted from outside the editor and reads like an encyclopedia, "
            "not for the stated audience. Rewrite the ending in your own words, as guideline v2 asks.",
            Project.Kind.CLASSIFY: "The review praises one thing and complains about another: read the guideline's "
            "definitions again and correct the label.",
            Project.Kind.COMPARE: "The rationale is a generic paste that fits any pair. Name the concrete "
            "differences between these two answers.",
        }[kind]
    return {
        Project.Kind.WRITE: "The explanation is wrong on the main point and ignores the references; it cannot be used.",
        Project.Kind.CLASSIFY: "Wrong label, and the rationale gives no reason for it.",
        Project.Kind.COMPARE: "You preferred the answer that is factually wrong; the rationale does not say why.",
    }[kind]
