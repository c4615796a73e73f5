"""Telemetry ingest benchmark: the websocket protocol under daphne against one POST per event.

Starts its own daphne on a free 127.0.0.1 port over a fresh database (SQLite file in a temp dir by
default; --database-url postgres://.../anything creates and drops its own database on that server),
creates users, session cookies and editor sessions in it, then runs:

  baseline    the naive design: one HTTP POST per event to the fallback endpoint, keep-alive clients
  saturation  N websocket clients (200) sending 100-event frames as fast as acks allow; events/s are
              counted in the database after the run, not from acks
  realistic   M concurrent editors (500) each typing ~8 events/s, framed every 250 ms; ack latency
              p50/p99 and events lost (sent but not in the database)
  raw ceiling executemany of the same rows from Python into a scratch SQLite file (no server)

Prints a human summary, then one JSON line. Usage:
  .venv/bin/python bench/ingest.py                     # full run, SQLite
  .venv/bin/python bench/ingest.py --quick             # smoke run (seconds)
  .venv/bin/python bench/ingest.py --database-url postgres://postgres@127.0.0.1:5432/postgres
"""

import argparse
import asyncio
import json
import os
import random
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECRET_KEY = "bench-ingest-" + secrets.token_hex(16)


# --- Events as a browser would send them ---------------------------------------------------


def _event_text(seq: int, t: float) -> str:
    """One event's JSON, cycling through the commonest kinds (pre-serialised: the client is not the test)."""
    r = seq % 10
    if r < 5:
        return f'{{"seq":{seq},"t":{t:.1f},"k":"key","cls":"letter","rep":false,"field":"text","trusted":true}}'
    if r < 9:
        return (
            f'{{"seq":{seq},"t":{t:.1f},"k":"input","it":"insertText","pos":{seq},"d":1,"len":{seq + 1},'
            f'"field":"text","trusted":true}}'
        )
    return f'{{"seq":{seq},"t":{t:.1f},"k":"key","cls":"space","field":"text","trusted":true}}'


def frame_text(first_seq: int, count: int, t0: float) -> str:
    events = ",".join(_event_text(s, t0 + (s - first_seq) * 120.0) for s in range(first_seq, first_seq + count))
    return f'{{"type":"events","events":[{events}]}}'


# --- Database and server --------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_prepare(database_url: str | None, workdir: Path) -> tuple[str, callable]:
    """A fresh database URL for this run, and how to drop it afterwards."""
    if not database_url:
        return f"sqlite:///{workdir / 'bench.sqlite3'}", lambda: None
    import psycopg

    parts = urlsplit(database_url)
    name = f"scr_bench_ingest_{os.getpid()}"
    admin_url = database_url
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")

    def drop():
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    return urlunsplit(parts._replace(path=f"/{name}")), drop


def server_env(database_url: str) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "workstation.settings",
        "SECRET_KEY": SECRET_KEY,
        "DEBUG": "0",
        "HTTPS": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # The project default: under ASGI, Django's persistent connections stay open in finished
        # request threads (Django's docs say to disable them), so each DB hop connects anew.
        "CONN_MAX_AGE": "0",
        "LOG_LEVEL": "ERROR",
    }


def django_setup(database_url: str) -> None:
    os.environ.update(server_env(database_url))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def fixtures_create(*, groups: dict[str, int]) -> dict[str, list[tuple[str, str]]]:
    """Users with session cookies and one editor session per client: {group: [(session id, cookie)]}."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import transaction

    from annotations.models import Annotation, GuidelineVersion, Membership, Project, Task
    from telemetry.models import EditorSession

    User = get_user_model()
    n_users = max(groups.values())
    with transaction.atomic():
        project = Project.objects.create(name="Bench", slug=f"bench-{uuid.uuid4().hex[:8]}", kind=Project.Kind.WRITE)
        GuidelineVersion.objects.create(project=project, number=1, text="bench")
        User.objects.bulk_create(
            [User(username=f"bench{i}", password="!" + secrets.token_hex(8)) for i in range(n_users)]
        )
        users = list(User.objects.filter(username__startswith="bench").order_by("id"))
        annotator = Membership.Role.ANNOTATOR
        Membership.objects.bulk_create([Membership(project=project, user=u, role=annotator) for u in users])
        cookies = []
        for user in users:
            store = SessionStore()
            store[SESSION_KEY] = str(user.pk)
            store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
            store[HASH_SESSION_KEY] = user.get_session_auth_hash()
            store.create()
            cookies.append(store.session_key)
        out: dict[str, list[tuple[str, str]]] = {}
        for group, n in groups.items():
            tasks = Task.objects.bulk_create(
                [
                    Task(project=project, payload={"prompt": f"{group} {i}"}, external_id=f"{group}-{i}")
                    for i in range(n)
                ]
            )
            tasks = list(Task.objects.filter(project=project, external_id__startswith=f"{group}-").order_by("id"))
            Annotation.objects.bulk_create([Annotation(task=task, annotator=users[i]) for i, task in enumerate(tasks)])
            annotations = list(Annotation.objects.filter(task__in=tasks).order_by("task_id"))
            sessions = EditorSession.objects.bulk_create(
                [EditorSession(annotation=a, user=users[i]) for i, a in enumerate(annotations)]
            )
            out[group] = [(str(s.id), cookies[i]) for i, s in enumerate(sessions)]
    return out


def database_checkpoint() -> None:
    """Write back what the previous scenario left in the log, so that its write-back is not billed
    to the next scenario's latencies (PostgreSQL CHECKPOINT; SQLite WAL checkpoint)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT" if connection.vendor == "postgresql" else "PRAGMA wal_checkpoint(TRUNCATE)")


def events_in_db(session_ids: list[str]) -> dict[str, int]:
    from django.db.models import Count

    from telemetry.models import Event

    rows = Event.objects.filter(session_id__in=session_ids).values("session_id").annotate(n=Count("id"))
    return {str(r["session_id"]): r["n"] for r in rows}


class Daphne:
    def __init__(self, database_url: str, workdir: Path):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        self.log_path = workdir / f"daphne-{self.port}.log"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), "workstation.asgi:application"],
            cwd=ROOT,
            env=server_env(database_url),
            stdout=self.log_path.open("w"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("daphne exited: " + self.log_path.read_text()[-2000:])
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("daphne did not start")

    def cpu_seconds(self) -> float:
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# --- Clients ------------------------------------------------------------------------------


async def _ws_connect(server: Daphne, session_id: str, cookie: str, gate: asyncio.Semaphore):
    """Open a socket and read its ready frame; at most a few handshakes at once (browsers do not all
    connect in the same millisecond, and a listen backlog is finite)."""
    async with gate:
        ws = await _ws_open(server, session_id, cookie)
        upto = await _ready(ws)
    return ws, upto


def _ws_open(server: Daphne, session_id: str, cookie: str):
    import websockets

    return websockets.connect(
        f"{server.ws_url}/ws/telemetry/{session_id}/",
        additional_headers={"Origin": server.url, "Cookie": f"sessionid={cookie}"},
        compression=None,
        max_size=2**20,
        open_timeout=60,
        ping_interval=None,
    )


async def _ready(ws) -> int:
    msg = json.loads(await ws.recv())
    if msg.get("type") != "ready":
        raise RuntimeError(f"expected ready, got {msg}")
    return msg["upto"]


async def saturation(server: Daphne, sessions, seconds: float, frame_events: int) -> dict:
    """Each client sends a 100-event frame, waits for its ack, sends the next, until time is up."""
    acked = [0] * len(sessions)
    errors: list[str] = []
    start_evt = asyncio.Event()

    gate = asyncio.Semaphore(20)
    connected = 0

    async def client(i, session_id, cookie):
        nonlocal connected
        ws, upto = await _ws_connect(server, session_id, cookie, gate)
        connected += 1
        async with ws:
            seq = upto + 1
            await start_evt.wait()
            t0 = 0.0
            while time.monotonic() < deadline:
                await ws.send(frame_text(seq, frame_events, t0))
                msg = json.loads(await ws.recv())
                if msg["type"] != "ack":
                    errors.append(str(msg))
                    continue
                seq += frame_events
                t0 += frame_events * 120.0
                acked[i] = msg["upto"]

    tasks = [asyncio.create_task(client(i, sid, ck)) for i, (sid, ck) in enumerate(sessions)]
    while connected < len(sessions):
        await asyncio.sleep(0.05)
        for task in tasks:
            if task.done() and task.exception():
                raise task.exception()
    began = time.monotonic()
    deadline = began + seconds
    start_evt.set()
    await asyncio.gather(*tasks)
    elapsed = time.monotonic() - began
    return {"elapsed": elapsed, "acked_events": sum(acked), "errors": errors}


async def realistic(server: Daphne, sessions, seconds: float, events_per_s: float, frame_ms: float) -> dict:
    """Editors typing ~events_per_s, each flushing what it has every frame_ms; latency = send to ack."""
    latencies: list[float] = []
    sent = [0] * len(sessions)
    errors: list[str] = []
    per_frame = events_per_s * frame_ms / 1000.0

    gate = asyncio.Semaphore(20)
    start_evt = asyncio.Event()
    connected = 0

    async def client(i, session_id, cookie):
        nonlocal connected
        rng = random.Random(i)
        ws, upto = await _ws_connect(server, session_id, cookie, gate)
        connected += 1
        await start_evt.wait()
        async with ws:
            seq = upto + 1
            pending: list[tuple[int, float]] = []  # (last seq of the frame, sent at)
            done = asyncio.Event()

            async def reader():
                async for raw in ws:
                    msg = json.loads(raw)
                    now = time.monotonic()
                    if msg["type"] == "ack":
                        while pending and pending[0][0] <= msg["upto"]:
                            latencies.append(now - pending.pop(0)[1])
                        if closing and not pending:
                            done.set()
                            return
                    else:
                        errors.append(str(msg))

            closing = False
            reader_task = asyncio.create_task(reader())
            await asyncio.sleep(rng.random() * frame_ms / 1000.0)
            end = time.monotonic() + seconds
            carry = 0.0
            t_ms = 0.0
            while time.monotonic() < end:
                carry += per_frame * rng.uniform(0.5, 1.5)
                n = int(carry)
                carry -= n
                if n:
                    pending.append((seq + n - 1, time.monotonic()))
                    await ws.send(frame_text(seq, n, t_ms))
                    seq += n
                    sent[i] += n
                t_ms += frame_ms
                await asyncio.sleep(frame_ms / 1000.0)
            closing = True
            if pending:
                try:
                    await asyncio.wait_for(done.wait(), 30)
                except TimeoutError:
                    errors.append(f"client {i}: {len(pending)} frames never acked")
            reader_task.cancel()

    tasks = [asyncio.create_task(client(i, sid, ck)) for i, (sid, ck) in enumerate(sessions)]
    while connected < len(sessions):
        await asyncio.sleep(0.05)
        for task in tasks:
            if task.done() and task.exception():
                raise task.exception()
    began = time.monotonic()
    start_evt.set()
    await asyncio.gather(*tasks)
    return {"elapsed": time.monotonic() - began, "latencies": latencies, "sent": sent, "errors": errors}


async def baseline(server: Daphne, sessions, seconds: float) -> dict:
    """The naive design: one HTTP POST per event (keep-alive connections, CSRF cookie + header)."""
    errors: list[str] = []

    async def client(session_id, cookie):
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        csrf = secrets.token_hex(16)
        seq = 1
        path = f"/api/telemetry/sessions/{session_id}/events/"
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            body = frame_text(seq, 1, seq * 120.0).encode()
            writer.write(
                (
                    f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nOrigin: {server.url}\r\n"
                    f"Cookie: sessionid={cookie}; csrftoken={csrf}\r\nX-CSRFToken: {csrf}\r\n"
                    f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
                ).encode()
                + body
            )
            status = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            answer = await reader.readexactly(length)
            if b" 200 " not in status:
                errors.append(status.decode().strip() + " " + answer.decode()[:200])
                break
            seq += 1
        writer.close()

    began = time.monotonic()
    await asyncio.gather(*[client(sid, ck) for sid, ck in sessions])
    return {"elapsed": time.monotonic() - began, "errors": errors}


# --- Raw ceiling ------------------------------------------------------------------------------


def raw_sqlite_ceiling(workdir: Path, rows: int = 200_000, batch: int = 100) -> float:
    """Rows/s for executemany of event-shaped rows into a scratch SQLite file, 100 rows per transaction."""
    path = workdir / "raw.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(
        "CREATE TABLE event (id INTEGER PRIMARY KEY, session_id CHAR(32), seq INTEGER, t REAL, kind VARCHAR(16),"
        " data TEXT, received_at DATETIME, UNIQUE(session_id, seq))"
    )
    session = uuid.uuid4().hex
    data = json.dumps({"it": "insertText", "pos": 1, "d": 1, "len": 2, "field": "text", "trusted": True})
    now = "2026-01-01 00:00:00.000000"
    began = time.perf_counter()
    for first in range(1, rows + 1, batch):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT INTO event (session_id, seq, t, kind, data, received_at) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (session_id, seq) DO NOTHING",
            [(session, s, s * 120.0, "input", data, now) for s in range(first, first + batch)],
        )
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - began
    conn.close()
    return rows / elapsed


# --- Main ---------------------------------------------------------------------------------


def _own_cpu() -> float:
    t = os.times()
    return t.user + t.system


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _loadavg() -> float:
    return os.getloadavg()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="", help="PostgreSQL server to create a scratch database on")
    parser.add_argument("--duration", type=float, default=60.0, help="realistic scenario seconds (default 60)")
    parser.add_argument("--saturation-seconds", type=float, default=20.0)
    parser.add_argument("--baseline-seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=200, help="saturation websocket clients")
    parser.add_argument("--frame-events", type=int, default=100, help="events per saturation frame")
    parser.add_argument("--editors", type=int, default=500, help="realistic concurrent editors")
    parser.add_argument("--editor-rate", type=float, default=8.0, help="events/s per editor")
    parser.add_argument("--baseline-clients", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="a few seconds of each scenario (smoke test)")
    args = parser.parse_args()
    if args.quick:
        args.duration, args.saturation_seconds, args.baseline_seconds = 3.0, 3.0, 2.0
        args.clients, args.editors, args.baseline_clients = min(args.clients, 20), min(args.editors, 50), 5

    workdir = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    database_url, drop = database_prepare(args.database_url, workdir)
    vendor = "postgresql" if database_url.startswith("postgres") else "sqlite"
    server = None
    try:
        django_setup(database_url)
        groups = {"baseline": args.baseline_clients, "saturation": args.clients, "realistic": args.editors}
        sessions = fixtures_create(groups=groups)
        ids = {group: [sid for sid, _ in pairs] for group, pairs in sessions.items()}
        from django.db import connection

        connection.close()
        print(f"database: {vendor}; {os.cpu_count()} CPUs, load average {_loadavg():.1f} at start", flush=True)
        ceiling = raw_sqlite_ceiling(workdir, rows=20_000 if args.quick else 200_000)
        print(f"raw SQLite ceiling: {ceiling:,.0f} rows/s (executemany, 100 rows per transaction)", flush=True)

        server = Daphne(database_url, workdir)
        cpu0 = server.cpu_seconds()
        base = asyncio.run(baseline(server, sessions["baseline"], args.baseline_seconds))
        base_cpu = server.cpu_seconds() - cpu0
        base_count = sum(events_in_db(ids["baseline"]).values())
        base_rate = base_count / base["elapsed"]
        print(
            f"baseline, one POST per event ({args.baseline_clients} keep-alive clients): {base_count} events in the"
            f" database in {base['elapsed']:.1f} s = {base_rate:,.0f} events/s;"
            f" server CPU {base_cpu:.1f} s ({base_count / max(base_cpu, 1e-9):,.0f} events per CPU-second)",
            flush=True,
        )

        database_checkpoint()
        cpu0, load0 = server.cpu_seconds(), _loadavg()
        sat = asyncio.run(saturation(server, sessions["saturation"], args.saturation_seconds, args.frame_events))
        sat_cpu = server.cpu_seconds() - cpu0
        sat_count = sum(events_in_db(ids["saturation"]).values())
        sat_rate = sat_count / sat["elapsed"]
        print(
            f"saturation ({args.clients} sockets, {args.frame_events}-event frames): {sat_count} events in the"
            f" database in {sat['elapsed']:.1f} s = {sat_rate:,.0f} events/s (acks said {sat['acked_events']});"
            f" server CPU {sat_cpu:.1f} s ({sat_count / max(sat_cpu, 1e-9):,.0f} events per CPU-second);"
            f" load average {load0:.1f} -> {_loadavg():.1f}",
            flush=True,
        )

        database_checkpoint()
        cpu0, client0, load0 = server.cpu_seconds(), _own_cpu(), _loadavg()
        real = asyncio.run(realistic(server, sessions["realistic"], args.duration, args.editor_rate, frame_ms=250.0))
        real_cpu, real_client_cpu = server.cpu_seconds() - cpu0, _own_cpu() - client0
        stored = events_in_db(ids["realistic"])
        sent_total = sum(real["sent"])
        lost = sum(max(0, n - stored.get(sid, 0)) for n, sid in zip(real["sent"], ids["realistic"], strict=True))
        lat_ms = [x * 1000 for x in real["latencies"]]
        p50, p99 = _pct(lat_ms, 0.50), _pct(lat_ms, 0.99)
        print(
            f"realistic ({args.editors} editors x {args.editor_rate:g} events/s, 250 ms frames, {args.duration:g} s):"
            f" {sent_total} events sent in {len(lat_ms)} acked frames; ack p50 {p50:.1f} ms, p99 {p99:.1f} ms,"
            f" max {max(lat_ms, default=0):.1f} ms; lost {lost} (sent but not in the database);"
            f" server CPU {real_cpu:.1f} s ({real_cpu / max(len(lat_ms), 1) * 1e6:.0f} us per frame),"
            f" clients {real_client_cpu:.1f} s; load average {load0:.1f} -> {_loadavg():.1f}",
            flush=True,
        )
        errors = base["errors"] + sat["errors"] + real["errors"]
        for err in errors[:5]:
            print("  error:", err[:300])
        print(
            f"saturation is {sat_rate / base_rate:.0f}x the naive baseline and {sat_rate / ceiling:.0%} of the raw"
            f" SQLite ceiling (gap {ceiling / sat_rate:.1f}x); one daphne process",
            flush=True,
        )
        figures = {
            "database": vendor,
            "events_per_s": round(sat_rate),
            "ack_p50_ms": round(p50, 2),
            "ack_p99_ms": round(p99, 2),
            "lost": lost,
            "baseline_events_per_s": round(base_rate),
            "speedup_vs_baseline": round(sat_rate / base_rate, 1),
            "raw_ceiling_rows_per_s": round(ceiling),
            "gap_to_raw_ceiling": round(ceiling / sat_rate, 2),
            "saturation_events_per_server_cpu_s": round(sat_count / max(sat_cpu, 1e-9)),
            "realistic_server_us_per_frame": round(real_cpu / max(len(lat_ms), 1) * 1e6),
            "realistic_events_sent": sent_total,
            "saturation_clients": args.clients,
            "realistic_editors": args.editors,
            "realistic_seconds": args.duration,
            "daphne_processes": 1,
            "cpus": os.cpu_count(),
            "load_average_end": round(_loadavg(), 1),
            "errors": len(errors),
        }
    finally:
        if server is not None:
            server.stop()
        from django.db import connections

        connections.close_all()
        drop()
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
