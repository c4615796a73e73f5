"""The instrumented editor in real Chromium under daphne: nothing lost, nothing private kept.

Typing goes through Playwright's keyboard (trusted key and input events, like a person's); the
paste goes through Chromium's own clipboard (written with navigator.clipboard after granting the
clipboard permissions, then Control+V), so the page sees a real, trusted paste event.
"""

import hashlib
import json
import re
import threading

import pytest

from annotations.models import Annotation, Project
from telemetry.models import AnnotationSignals, EditorSession, Event, QuarantinedEvent

pytestmark = pytest.mark.e2e

KEY_CLASSES = {"letter", "digit", "punct", "space", "enter", "backspace", "delete", "nav", "modifier", "other"}
# A word that appears nowhere in the page: where it is stored shows what the telemetry keeps.
MARKER = "quokka"
LONG_REFERENCE = "\n\n".join(f"Paragraph {i} of the style sheet: prefer plain words." for i in range(60))
PASTED = (
    "Photosynthesis turns light, water and carbon dioxide into sugar and oxygen. The light reactions "
    "split water in the thylakoid membranes; the Calvin cycle then fixes carbon in the stroma."
)


def _telemetry(page) -> list[dict]:
    return page.evaluate("() => window.scriptoriumTelemetry.sessions()")


def _session_id(url: str) -> str:
    return re.fullmatch(r"/ws/telemetry/([0-9a-f-]+)/", url).group(1)


def _wait_connected(page):
    page.wait_for_function(
        "() => { const t = window.scriptoriumTelemetry; "
        "return t && t.sessions().some(s => s.capturing && s.connected); }"
    )


def _wait_all_delivered(page, timeout=30_000):
    """Every event of every session this tab produced is acknowledged by the server."""
    page.wait_for_function(
        """() => { const t = window.scriptoriumTelemetry;
                   return t && t.pending() === 0 && t.sessions().every(s => s.acked === s.lastSeq && !s.refused); }""",
        timeout=timeout,
    )


def _type_like_a_person(page, text: str):
    """Word by word with uneven speed, as people type (a fixed delay would look like a transcription)."""
    delays = [95, 140, 110, 180, 120, 160, 100, 210]
    for i, word in enumerate(text.split(" ")):
        if i:
            page.keyboard.press("Space")
        page.keyboard.type(word, delay=delays[i % len(delays)])
        if i % 5 == 4:
            page.wait_for_timeout(450)


def _stored_seqs(session_id) -> list[int]:
    return list(Event.objects.filter(session_id=session_id).order_by("seq").values_list("seq", flat=True))


def _work_project(make_project, annotator, tasks=2, **fields) -> Project:
    project = make_project(Project.Kind.WRITE, members=[annotator], tasks=tasks, slug="essays", **fields)
    for task in project.tasks.all():
        task.references = [{"id": "style", "title": "Style sheet", "body": LONG_REFERENCE}]
        task.save(update_fields=["references"])
    return project


def test_nothing_lost_across_reload_and_restart_and_signals_tell_paste_from_writing(
    page, login, annotator, make_project, daphne_server
):
    project = _work_project(make_project, annotator)
    login("ann1")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=daphne_server.url)
    page.goto(f"/work/{project.pk}/")
    notice = page.get_by_test_id("telemetry-notice")
    assert notice.is_visible()
    assert "never the characters" in notice.inner_text()
    _wait_connected(page)
    first_task = page.locator("#work-area").get_attribute("data-task-id")

    # Read the reference: open it, scroll to its end, close it.
    page.locator("details[data-reference-id=style] summary").click()
    page.locator("details[data-reference-id=style] .reference-body").evaluate("el => el.scrollTop = el.scrollHeight")
    page.wait_for_timeout(400)
    page.locator("details[data-reference-id=style] summary").click()

    # Write, revise, pause, and reload mid-typing (the last events are not even batched yet).
    editor = page.locator("textarea[data-instrument][name=text]")
    editor.click()
    _type_like_a_person(page, f"The {MARKER} lives on islands")
    for _ in range(7):
        page.keyboard.press("Backspace")
    _type_like_a_person(page, "Rottnest")
    page.wait_for_timeout(2300)  # a pause: a snapshot
    page.keyboard.type(" and", delay=60)
    reloaded_from = next(s for s in _telemetry(page) if s["capturing"])
    page.reload()
    _wait_connected(page)

    # The new page resends the old session's leftovers to the old session, then writes anew
    # (the draft autosave put back what was typed before the reload: cleared, to start over).
    assert editor.input_value() == f"The {MARKER} lives on Rottnest and"
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    _type_like_a_person(page, f"The {MARKER} is a small marsupial that lives on Rottnest Island")

    # Restart the server while the annotator keeps typing.
    restart = threading.Thread(target=daphne_server.restart)
    restart.start()
    _type_like_a_person(page, " near Perth, where it has few predators and plenty of shade.")
    restart.join()
    page.keyboard.press("Enter")
    _type_like_a_person(page, "It eats leaves and grasses.")
    page.wait_for_function(  # reconnected to the restarted server
        "() => window.scriptoriumTelemetry.sessions().some(s => s.capturing && s.connected)", timeout=30_000
    )

    page.get_by_test_id("submit").click()
    page.wait_for_function(
        "first => document.querySelector('#work-area').dataset.taskId !== first", arg=first_task, timeout=15_000
    )

    # The second task: a short lead-in, then the answer pasted from outside the page.
    _wait_connected(page)
    page.evaluate("text => navigator.clipboard.writeText(text)", PASTED)
    editor.click()
    page.keyboard.type("Answer: ", delay=120)
    page.keyboard.press("Control+V")
    page.wait_for_function("n => document.querySelector('textarea[name=text]').value.length >= n", arg=len(PASTED))
    page.get_by_test_id("submit").click()
    page.get_by_test_id("all-done").wait_for()

    _wait_all_delivered(page)
    summaries = _telemetry(page)

    composed = Annotation.objects.get(task__project=project, task__pk=int(first_task))
    pasted = Annotation.objects.exclude(pk=composed.pk).get(task__project=project)
    assert composed.state == pasted.state == Annotation.State.SUBMITTED
    assert composed.result["text"].startswith(f"The {MARKER} is a small marsupial")
    assert pasted.result["text"] == "Answer: " + PASTED

    # Every event of every session stored exactly once: seqs 1..N, N the client's last seq.
    sessions = {str(s.pk): s for s in EditorSession.objects.filter(annotation__task__project=project)}
    assert len(sessions) == 3  # first page, after the reload, the second task
    by_url = {_session_id(s["url"]): s for s in summaries}
    assert set(by_url) == set(sessions)
    for session_id, summary in by_url.items():
        assert summary["quarantined"] == 0
        assert _stored_seqs(session_id) == list(range(1, summary["lastSeq"] + 1)), session_id
    assert not QuarantinedEvent.objects.exists()
    # The reloaded page's unacked tail (at least the "hidden" of the unload) was kept in
    # sessionStorage and sent to its own, older session by the next page.
    old_id = _session_id(reloaded_from["url"])
    assert by_url[old_id]["restored"] >= 1
    assert by_url[old_id]["lastSeq"] > reloaded_from["lastSeq"]
    assert Event.objects.filter(session_id=old_id).last().data == {"state": "hidden"}
    # The session that was live while the server restarted reconnected and resent.
    restarted = [s for s in by_url.values() if s["connections"] >= 2]
    assert len(restarted) == 1
    old_revs = Event.objects.filter(session_id=old_id, kind="rev")
    assert any(r.data["text"] == f"The {MARKER} lives on Rottnest" and r.data["why"] == "pause" for r in old_revs)
    # The submit snapshot holds the submitted text, and the server knows the final seq.
    for annotation in (composed, pasted):
        latest = annotation.editor_sessions.order_by("-created_at").first()
        assert latest.final_seq is not None and latest.closed_at is not None
        submit_rev = Event.objects.get(session=latest, kind="rev", data__why="submit")
        assert submit_rev.data["text"] == annotation.result["text"]
        assert submit_rev.seq <= latest.final_seq
        assert annotation.active_seconds > 0

    # What was captured: references read, revisions, the paste with its source and hash.
    composed_events = Event.objects.filter(session__annotation=composed)
    assert {(e.data["ref"], e.data["action"]) for e in composed_events.filter(kind="nav")} == {
        ("style", "open"),
        ("style", "close"),
    }
    assert max(e.data["frac"] for e in composed_events.filter(kind="scroll")) == 1
    assert composed_events.filter(kind="key", data__cls="backspace").count() >= 7
    assert composed_events.filter(kind="input", data__it="deleteContentBackward").count() >= 7
    assert not composed_events.filter(kind="paste").exists()
    paste = Event.objects.get(session__annotation=pasted, kind="paste")
    assert paste.data["len"] == len(PASTED) and paste.data["src"] == "external" and paste.data["trusted"] is True
    assert re.fullmatch(r"[0-9a-f]{16}", paste.data["h"])
    paste_input = Event.objects.get(session__annotation=pasted, kind="input", data__it="insertFromPaste")
    assert paste_input.data["d"] == len(PASTED) and paste_input.data["pos"] == len("Answer: ")

    # No typed character is stored outside the snapshots of the text itself.
    for event in Event.objects.filter(session__annotation__task__project=project).exclude(kind="rev"):
        assert MARKER not in json.dumps(event.data)
        if event.kind == "key":
            assert set(event.data) <= {"cls", "rep", "field", "trusted"}
            assert event.data["cls"] in KEY_CLASSES
    assert Event.objects.filter(kind="key", data__cls="letter").count() > 100

    # The signals tell the pasted answer from the composed one.
    composed_signals = AnnotationSignals.objects.get(annotation=composed)
    pasted_signals = AnnotationSignals.objects.get(annotation=pasted)
    assert composed_signals.features["pasted_fraction"] == 0
    assert pasted_signals.features["pasted_fraction"] > 0.9
    assert "paste_dominant" in {f["flag"] for f in pasted_signals.flags}
    assert composed_signals.flags == []


def test_password_field_produces_nothing(page, annotator):
    sockets = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    page.goto("/accounts/login/")
    page.fill("input[name=username]", "ann1")
    page.locator("input[name=password]").press_sequentially("hunter2-secret", delay=20)
    assert sockets == []  # the login page loads no telemetry at all

    # Even a form marked for telemetry (were the module ever on such a page) ignores a password.
    page.evaluate("document.querySelector('form').setAttribute('data-telemetry-url', '/ws/telemetry/x/')")
    page.add_script_tag(url="/static/js/telemetry.js", type="module")
    page.wait_for_function("() => window.scriptoriumTelemetry && window.scriptoriumTelemetry.sessions().length === 1")
    page.locator("input[name=password]").press_sequentially("more-secret", delay=20)
    page.locator("input[name=password]").press("Control+A")
    page.locator("input[name=password]").press("Control+C")
    page.wait_for_timeout(600)
    assert [s["lastSeq"] for s in _telemetry(page)] == [0]
    assert not Event.objects.exists()


def test_telemetry_off_opens_no_socket_and_says_so(page, login, annotator, make_project):
    project = _work_project(make_project, annotator, telemetry_enabled=False)
    login("ann1")
    sockets = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    page.goto(f"/work/{project.pk}/")
    notice = page.get_by_test_id("telemetry-notice")
    assert notice.is_visible()
    assert "off" in notice.inner_text()
    assert page.locator("[data-telemetry-url]").count() == 0
    page.locator("textarea[name=text]").click()
    page.keyboard.type("Nothing about this is recorded.", delay=20)
    page.wait_for_timeout(600)
    assert sockets == []
    assert not EditorSession.objects.exists()
    assert not Event.objects.exists()


def test_compare_rationale_is_instrumented(page, login, annotator, make_project):
    project = make_project(Project.Kind.COMPARE, members=[annotator], tasks=1, slug="pairs")
    login("ann1")
    page.goto(f"/work/{project.pk}/")
    _wait_connected(page)
    page.locator("textarea[data-instrument][name=rationale]").click()
    page.keyboard.type("Left is clearer.", delay=40)
    page.locator("textarea[data-instrument][name=rationale]").blur()
    _wait_all_delivered(page)
    events = Event.objects.filter(session__annotation__task__project=project)
    assert {e.data.get("field") for e in events.filter(kind__in=["key", "input", "focus", "blur", "rev"])} == {
        "rationale"
    }
    assert events.get(kind="rev").data == {"field": "rationale", "text": "Left is clearer.", "why": "blur"}


def test_paste_sources_and_salted_hashes(page, login, annotator, make_project, daphne_server):
    project = _work_project(make_project, annotator)
    login("ann1")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=daphne_server.url)
    page.goto(f"/work/{project.pk}/")
    _wait_connected(page)
    editor = page.locator("textarea[data-instrument][name=text]")

    def paste_into_editor():
        editor.click()
        page.keyboard.press("End")
        page.keyboard.press("Control+V")

    # From the task text, then from a reference, copied with the keyboard like a person would.
    page.locator("[data-testid=task-prompt] p").select_text()
    page.keyboard.press("Control+C")
    paste_into_editor()
    page.locator("details[data-reference-id=style] summary").click()
    page.locator("details[data-reference-id=style] .reference-body p").first.select_text()
    page.keyboard.press("Control+C")
    paste_into_editor()
    # The editor's own words, copied and pasted back (moving one's own text is writing).
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Control+C")
    page.keyboard.press("End")
    page.keyboard.press("Control+V")
    # Text from outside the page; then a cut.
    page.evaluate("text => navigator.clipboard.writeText(text)", "Words from another window.")
    paste_into_editor()
    page.keyboard.press("Control+A")
    page.keyboard.press("Control+X")
    editor.blur()
    _wait_all_delivered(page)

    session = EditorSession.objects.get(annotation__task__project=project)
    events = list(Event.objects.filter(session=session, kind__in=["paste", "copy", "cut"]).order_by("seq"))
    assert [(e.kind, e.data["src"]) for e in events] == [
        ("paste", "task"),
        ("paste", "reference"),
        ("copy", "self"),
        ("paste", "self"),
        ("paste", "external"),
        ("cut", "self"),
    ]
    task_text = "Explain thing 0"
    reference_text = "Paragraph 0 of the style sheet: prefer plain words."
    own_text = task_text + reference_text

    def salted(text):
        return hashlib.sha256((session.salt + text).encode()).hexdigest()[:16]

    lengths = [len(task_text), len(reference_text), len(own_text), len(own_text), 26, len(own_text) * 2 + 26]
    assert [e.data["len"] for e in events] == lengths
    assert events[0].data["h"] == salted(task_text)
    assert events[2].data["h"] == events[3].data["h"] == salted(own_text)
    assert events[4].data["h"] == salted("Words from another window.")


def test_draft_is_not_a_submit_and_ctrl_enter_hands_in_the_final_seq(page, login, annotator, make_project):
    project = _work_project(make_project, annotator, tasks=1)
    login("ann1")
    page.goto(f"/work/{project.pk}/")
    _wait_connected(page)
    page.locator("textarea[data-instrument][name=text]").click()
    _type_like_a_person(page, "A first draft")
    page.keyboard.press("Control+S")
    page.locator("#form-status").get_by_text("Draft saved").wait_for()
    session = EditorSession.objects.get(annotation__task__project=project)
    annotation = session.annotation
    annotation.refresh_from_db()
    assert annotation.state == Annotation.State.DRAFT and annotation.result["text"] == "A first draft"
    assert annotation.active_seconds > 0
    _type_like_a_person(page, " that grew")
    page.keyboard.press("Control+Enter")
    page.get_by_test_id("all-done").wait_for()
    _wait_all_delivered(page)
    session.refresh_from_db()
    revs = list(Event.objects.filter(session=session, kind="rev").order_by("seq"))
    assert [(r.data["why"], r.data["text"]) for r in revs if r.data["why"] == "submit"] == [
        ("submit", "A first draft that grew")
    ]
    submit_seq = next(r.seq for r in revs if r.data["why"] == "submit")
    assert session.final_seq == submit_seq
    assert _stored_seqs(session.pk)[: session.final_seq] == list(range(1, session.final_seq + 1))


def test_ime_composition_undo_and_redo(page, login, annotator, make_project):
    project = _work_project(make_project, annotator, tasks=1)
    login("ann1")
    page.goto(f"/work/{project.pk}/")
    _wait_connected(page)
    page.locator("textarea[data-instrument][name=text]").click()
    page.keyboard.type("Tokyo ", delay=50)
    # An input method composing two characters, as Chromium's IME path does it (CDP Input domain).
    cdp = page.context.new_cdp_session(page)
    cdp.send("Input.imeSetComposition", {"text": "とう", "selectionStart": 2, "selectionEnd": 2})
    cdp.send("Input.imeSetComposition", {"text": "東京", "selectionStart": 2, "selectionEnd": 2})
    cdp.send("Input.insertText", {"text": "東京"})
    page.keyboard.press("Control+Z")
    page.keyboard.press("Control+Shift+Z")
    page.locator("textarea[data-instrument][name=text]").blur()
    _wait_all_delivered(page)
    events = Event.objects.filter(session__annotation__task__project=project)
    assert [e.data["phase"] for e in events.filter(kind="comp")] == ["start", "end"]
    assert events.get(kind="comp", data__phase="end").data["len"] == 2
    assert events.filter(kind="input", data__it="insertCompositionText").exists()
    assert events.filter(kind="input", data__it="historyUndo").count() == 1
    assert events.filter(kind="input", data__it="historyRedo").count() == 1
    assert events.get(kind="rev").data["text"] == page.locator("textarea[name=text]").input_value()


def test_local_digest_matches_sha256(page):
    """Without crypto.subtle (plain http on a LAN address) the module computes the same digest."""
    samples = ["", "abc", "x" * 1000, "héllo 東京 😀", "a" * 55, "a" * 56, "a" * 64]
    page.goto("/accounts/login/")
    digests = page.evaluate(
        "async (samples) => { const m = await import('/static/js/telemetry.js'); return samples.map(m.sha256Hex); }",
        samples,
    )
    assert digests == [hashlib.sha256(s.encode()).hexdigest() for s in samples]


def test_backlog_after_an_outage_is_sent_in_frames_within_the_limits(
    page, login, annotator, make_project, daphne_server
):
    project = _work_project(make_project, annotator, tasks=1)
    login("ann1")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=daphne_server.url)
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: frames.append(payload)))
    page.goto(f"/work/{project.pk}/")
    _wait_connected(page)
    editor = page.locator("textarea[data-instrument][name=text]")

    daphne_server.stop()
    sent_before_outage = len(frames)
    editor.click()
    page.keyboard.type("The outage does not stop the writer. " * 8)  # > 500 small events
    long_text = "A long quotation that fills the snapshots. " * 1000  # 43,000 characters
    page.evaluate("text => navigator.clipboard.writeText(text)", long_text)
    page.keyboard.press("Control+V")
    for _ in range(6):  # six snapshots of ~43,000 characters: more than one frame's bytes
        editor.blur()
        editor.click()
        page.keyboard.type("!")
    editor.blur()
    daphne_server.restart()
    _wait_all_delivered(page, timeout=45_000)

    after = [json.loads(f) for f in frames[sent_before_outage:]]
    sizes = [len(f.encode()) for f in frames[sent_before_outage:]]
    assert all(len(f["events"]) <= 500 for f in after)
    assert max(len(f["events"]) for f in after) == 500  # split by count
    assert max(sizes) <= 256 * 1024 and sum(sizes) > 256 * 1024  # and by bytes
    summary = next(s for s in _telemetry(page) if s["capturing"])
    session = EditorSession.objects.get(annotation__task__project=project)
    assert _stored_seqs(session.pk) == list(range(1, summary["lastSeq"] + 1))
    assert Event.objects.filter(session=session, kind="rev", data__why="blur").count() == 7


@pytest.fixture
def rate_limited_server(transactional_db):
    from tests.conftest import DaphneServer

    server = DaphneServer(extra_env={"TELEMETRY_RATE_LIMIT_FRAMES_PER_S": "1"}).start()
    yield server
    server.stop()


def test_rate_limited_client_backs_off_and_loses_nothing(browser, rate_limited_server, annotator, make_project):
    from tests.conftest import PASSWORD

    project = _work_project(make_project, annotator, tasks=1)
    context = browser.new_context(base_url=rate_limited_server.url)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.fill("input[name=username]", "ann1")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/")
    page.goto(f"/work/{project.pk}/")
    _wait_connected(page)
    page.locator("textarea[data-instrument][name=text]").click()
    _type_like_a_person(page, "One frame a second is all this server takes from a client, so the rest must wait.")
    _wait_all_delivered(page, timeout=60_000)
    summary = next(s for s in _telemetry(page) if s["capturing"])
    context.close()
    assert summary["rateLimited"] >= 1
    session = EditorSession.objects.get(annotation__task__project=project)
    assert _stored_seqs(session.pk) == list(range(1, summary["lastSeq"] + 1))


def test_oversized_snapshot_is_quarantined_and_the_rest_flows(page, login, annotator, make_project, daphne_server):
    project = _work_project(make_project, annotator, tasks=1)
    login("ann1")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=daphne_server.url)
    page.goto(f"/work/{project.pk}/")
    _wait_connected(page)
    editor = page.locator("textarea[data-instrument][name=text]")
    page.evaluate("text => navigator.clipboard.writeText(text)", "z" * 50_001)
    editor.click()
    page.keyboard.press("Control+V")
    editor.blur()  # a snapshot over the 50,000-character limit
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("short", delay=30)
    editor.blur()  # a snapshot within it
    _wait_all_delivered(page)
    summary = next(s for s in _telemetry(page) if s["capturing"])
    assert summary["quarantined"] == 1
    session = EditorSession.objects.get(annotation__task__project=project)
    bad = QuarantinedEvent.objects.get(session=session)
    assert json.loads(bad.raw)["k"] == "rev" and "50000" in bad.reason.replace(",", "")
    assert _stored_seqs(session.pk) == [s for s in range(1, summary["lastSeq"] + 1) if s != bad.seq]
    assert Event.objects.get(session=session, kind="rev").data["text"] == "short"
