"""What the instrumented editor costs per keystroke, in real Chromium, against an uninstrumented twin.

Starts its own daphne on a free 127.0.0.1 port over a fresh SQLite database in a temp dir, logs an
annotator in, opens the annotate screen (telemetry on, socket connected) and adds a plain textarea
(no data-instrument) beside the instrumented one. Playwright then types the same N characters into
each, in alternating rounds. Two figures per keystroke:

  handler   time spent inside telemetry.js's listeners (performance.now() around each of them,
            switched on by window.__telemetryCost before the module loads), divided by keystrokes
            (per_keystroke_ms); all_in_per_keystroke_ms adds the batching clock (frames, snapshots,
            sessionStorage) and the ack handling, which run between keystrokes.
  dispatch  from the first keydown listener (window, capture) to the last input listener (window,
            bubble): the browser's own handling of the keystroke plus whatever listeners run; the
            plain textarea's dispatch time is the baseline in the same run.

Chromium coarsens performance.now() to 100 us (with jitter) on pages that are not cross-origin
isolated; the figures are sums over many keystrokes, so their means remain meaningful.

Prints a human summary and, last, one JSON line (per_keystroke_ms is the handler figure).
Usage: .venv/bin/python bench/editor_overhead.py [--chars 2000] [--rounds 3]
"""

import argparse
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "bench-pass-" + secrets.token_hex(6)
SAMPLE = (
    "The quokka is a small marsupial, about the size of a domestic cat; it lives on Rottnest Island, "
    "near Perth (Western Australia), and on a few mainland sites. It eats leaves, grasses & shrubs: 42 kinds! "
)

# Installed before any page script: turns the module's cost accounting on, and times every keystroke's
# dispatch from the first keydown listener to the last input listener, per textarea.
MEASURE = """
window.__telemetryCost = {};
window.__dispatch = {};
let started = null;
window.addEventListener('keydown', (e) => { started = performance.now(); }, true);
window.addEventListener('input', (e) => {
  if (started === null) return;
  const key = e.target.hasAttribute('data-instrument') ? 'instrumented' : 'plain';
  const slot = (window.__dispatch[key] ||= { ms: 0, n: 0 });
  slot.ms += performance.now() - started;
  slot.n += 1;
  started = null;
}, false);
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _prepare(env: dict) -> int:
    """Migrate a fresh database and create one annotator and a write project; returns the project id."""
    os.environ.update(env)
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from annotations import roles
    from annotations.models import GuidelineVersion, Project, Task
    from annotations.services.people import membership_add

    call_command("migrate", verbosity=0, interactive=False)
    user = get_user_model().objects.create_user(username="bench", password=PASSWORD)
    project = Project.objects.create(name="Bench", slug="bench", kind=Project.Kind.WRITE, telemetry_enabled=True)
    membership_add(project=project, user=user, role=roles.ANNOTATOR)
    GuidelineVersion.objects.create(project=project, number=1, text="# Guide")
    Task.objects.create(project=project, payload={"prompt": "Describe an animal."}, external_id="t0")
    return project.pk


def _start_server(env: dict, port: int, log: Path) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "workstation.asgi:application"],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"daphne exited: {log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("daphne did not start within 30 s")


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the process has used so far (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _chromium() -> str | None:
    for name in (os.environ.get("CHROMIUM_PATH"), "/usr/bin/chromium"):
        if name and os.path.exists(name):
            return name
    return None


def run(chars: int, rounds: int) -> dict:
    from playwright.sync_api import sync_playwright

    text = (SAMPLE * (chars // len(SAMPLE) + 1))[:chars]
    workdir = Path(tempfile.mkdtemp(prefix="bench-editor-"))
    port = _free_port()
    env = {
        "DJANGO_SETTINGS_MODULE": "workstation.settings",
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
        "DEBUG": "1",
        "HTTPS": "0",
        "SECRET_KEY": "bench-editor-" + secrets.token_hex(16),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
    }
    project_id = _prepare(env)
    server = _start_server(env, port, workdir / "daphne.log")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=_chromium(), headless=True, args=["--no-sandbox", "--disable-gpu"]
            )
            context = browser.new_context(base_url=f"http://127.0.0.1:{port}")
            context.add_init_script(MEASURE)
            page = context.new_page()
            page.set_default_timeout(30_000)
            page.goto("/accounts/login/")
            page.fill("input[name=username]", "bench")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url("**/")
            page.goto(f"/work/{project_id}/")
            page.wait_for_function("() => window.scriptoriumTelemetry.sessions().some((s) => s.connected)")
            page.evaluate(
                """() => {
                  const editor = document.querySelector('textarea[data-instrument]');
                  const twin = editor.cloneNode(false);  // same size, spellcheck, styles: only uninstrumented
                  twin.removeAttribute('data-instrument');
                  twin.id = 'plain-twin'; twin.name = 'plain';
                  editor.insertAdjacentElement('afterend', twin);
                }"""
            )
            wall = {"instrumented": 0.0, "plain": 0.0}
            server_cpu = {"instrumented": 0.0, "plain": 0.0}
            targets = [("instrumented", "textarea[data-instrument]"), ("plain", "#plain-twin")]
            for round_no in range(rounds):
                for name, selector in targets if round_no % 2 == 0 else targets[::-1]:
                    page.fill(selector, "")
                    page.click(selector)
                    start, cpu = time.perf_counter(), _cpu_seconds(server.pid)
                    page.keyboard.type(text)
                    wall[name] += time.perf_counter() - start
                    server_cpu[name] += _cpu_seconds(server.pid) - cpu
            page.locator("textarea[data-instrument]").blur()
            page.wait_for_function("() => window.scriptoriumTelemetry.pending() === 0")
            figures = page.evaluate(
                "() => ({cost: window.__telemetryCost, dispatch: window.__dispatch,"
                " sessions: window.scriptoriumTelemetry.sessions()})"
            )
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)

    keystrokes = chars * rounds
    cost = figures["cost"]
    dispatch = figures["dispatch"]
    typing_seconds = wall["instrumented"]
    per_key = cost["ms"] / keystrokes
    # Handlers plus the batching clock and ack handling, spread over the keystrokes that caused them.
    all_in = (cost["ms"] + cost["tickMs"] + cost["socketMs"]) / keystrokes
    by_type = {k: round(v["ms"] / max(1, v["calls"]) * 1000, 2) for k, v in sorted(cost["byType"].items())}
    inst = dispatch["instrumented"]["ms"] / dispatch["instrumented"]["n"]
    plain = dispatch["plain"]["ms"] / dispatch["plain"]["n"]
    session = next(s for s in figures["sessions"] if s["capturing"])
    result = {
        "chars": chars,
        "rounds": rounds,
        "per_keystroke_ms": round(per_key, 4),
        "all_in_per_keystroke_ms": round(all_in, 4),
        "handler_us_per_call": by_type,
        "tick_ms_per_typing_second": round(cost["tickMs"] / typing_seconds, 4),
        "socket_ms_per_typing_second": round(cost["socketMs"] / typing_seconds, 4),
        "dispatch_ms_instrumented": round(inst, 4),
        "dispatch_ms_baseline": round(plain, 4),
        "dispatch_ratio": round(inst / plain, 3) if plain else None,
        "typing_s_instrumented": round(wall["instrumented"], 2),
        "typing_s_baseline": round(wall["plain"], 2),
        "server_cpu_s_instrumented": round(server_cpu["instrumented"], 2),
        "server_cpu_s_baseline": round(server_cpu["plain"], 2),
        "events_sent": session["lastSeq"],
        "events_acked": session["acked"],
    }
    print(f"Typed {chars} characters x {rounds} rounds into each textarea (Chromium, daphne on :{port}).")
    print(f"  telemetry handlers: {per_key * 1000:.1f} us per keystroke ({by_type} us per call by event type)")
    print(f"  all in (handlers + batching + acks): {all_in * 1000:.1f} us per keystroke")
    print(
        f"  batching clock:     {result['tick_ms_per_typing_second']} ms, acks"
        f" {result['socket_ms_per_typing_second']} ms per second of typing"
    )
    ratio = result["dispatch_ratio"]
    print(f"  dispatch keydown->input: instrumented {inst:.3f} ms, baseline {plain:.3f} ms (ratio {ratio})")
    print(f"  wall time typing:   instrumented {wall['instrumented']:.2f} s, baseline {wall['plain']:.2f} s")
    print(
        f"  server CPU while typing: instrumented {server_cpu['instrumented']:.2f} s,"
        f" baseline {server_cpu['plain']:.2f} s (daphne ingesting the events shares the machine)"
    )
    print(f"  events sent {session['lastSeq']}, acked {session['acked']}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps(run(args.chars, args.rounds)))


if __name__ == "__main__":
    main()
