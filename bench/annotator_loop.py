"""The annotator loop through the REST API: next + submit, as fast as people can ask.

Starts its own daphne on 127.0.0.1 against its own fresh database (a SQLite file under /tmp by
default; --database-url postgres://user@host:port/any creates and drops its own database there),
imports the tasks through the import service (timed), then measures next + submit:
  - one annotator with no history and one with --history submitted annotations, alternating loop
    by loop in the same run so both see the same machine (the ratio is the figure that matters);
  - --concurrency annotators at once, each on its own connection.
Prints a summary; the LAST line is one JSON object with the figures.

    .venv/bin/python bench/annotator_loop.py                 # ~1-2 minutes on SQLite
    .venv/bin/python bench/annotator_loop.py --quick         # a smoke run, seconds
    .venv/bin/python bench/annotator_loop.py --database-url postgres://postgres@127.0.0.1:5432/postgres
"""

import argparse
import io
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


class Database:
    """A fresh database for this run: a SQLite file, or a PostgreSQL database created and dropped."""

    def __init__(self, url: str | None):
        self.server_url = url
        if not url:
            self.path = Path(tempfile.gettempdir()) / f"scriptorium-bench-{os.getpid()}.sqlite3"
            self.url = f"sqlite:///{self.path}"
            self.vendor = "sqlite"
        else:
            parts = urlsplit(url)
            self.name = f"scr_bench_{os.getpid()}"
            # Under ASGI every request runs on a fresh thread, so without a pool each request would
            # open its own PostgreSQL connection (psycopg-pool, Django's OPTIONS["pool"]).
            self.url = urlunsplit(parts._replace(path=f"/{self.name}", query="pool=true"))
            self.admin_url = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
            self.vendor = "postgresql"

    def create(self) -> None:
        if self.vendor == "sqlite":
            self.drop()
            return
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}"')
            conn.execute(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        if self.vendor == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            return
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def _environment(db: Database) -> dict:
    return {
        "DATABASE_URL": db.url,
        "DJANGO_SETTINGS_MODULE": "workstation.settings",
        # Production shape (no query logging), plain HTTP on the loopback.
        "DEBUG": "0",
        "HTTPS": "0",
        "SECRET_KEY": "bench-only-secret-key-not-for-production-use-0123456789",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "REDIS_URL": "",
    }


def _tasks_jsonl(n: int, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    tags = ["law", "medicine", "finance", "code", "history"]
    lines = []
    for i in range(n):
        row = {
            "external_id": f"bench-{i}",
            "prompt": f"Explain concept {i} to a first-year student in two paragraphs.",
            "references": [{"id": "r1", "title": f"Notes {i}", "body": "Background material. " * 5}],
            "domain_tags": [rng.choice(tags)],
            "difficulty": rng.randint(1, 5),
            "model_uncertainty": round(rng.random(), 3),
        }
        lines.append(json.dumps(row))
    return ("\n".join(lines) + "\n").encode()


def setup(*, tasks: int, history: int, annotators: int) -> dict:
    """Migrate, import (timed), create people with tokens, give the veteran their history."""
    import django

    django.setup()
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token

    from annotations import roles
    from annotations.models import GuidelineVersion, Project
    from annotations.services.io import tasks_import_file
    from annotations.services.people import membership_add
    from annotations.services.routing import assignment_next
    from annotations.services.work import annotation_start, annotation_submit

    call_command("migrate", verbosity=0)
    project = Project.objects.create(name="Bench", slug="bench", kind=Project.Kind.WRITE, overlap=1)
    GuidelineVersion.objects.create(project=project, number=1, text="# Write clearly.")

    data = _tasks_jsonl(tasks)
    started = time.perf_counter()
    report = tasks_import_file(project=project, stream=io.BytesIO(data), fmt="jsonl")
    import_seconds = time.perf_counter() - started
    assert report.created == tasks and not report.errors, report.as_dict()

    from django.contrib.auth import get_user_model

    User = get_user_model()
    tokens = {}
    for name in ["fresh", "veteran"] + [f"crowd{i}" for i in range(annotators)]:
        user = User.objects.create_user(username=name, password=None)
        membership_add(project=project, user=user, role=roles.ANNOTATOR)
        tokens[name] = Token.objects.create(user=user).key

    veteran = User.objects.get(username="veteran")
    started = time.perf_counter()
    for i in range(history):
        annotation = annotation_start(assignment=assignment_next(project=project, user=veteran))
        annotation_submit(annotation=annotation, result={"text": f"Earlier answer {i}."}, active_seconds=60.0)
    history_seconds = time.perf_counter() - started

    from django.db import connection

    connection.close()
    return {
        "project_id": project.pk,
        "tokens": tokens,
        "import_seconds": import_seconds,
        "history_seconds": history_seconds,
    }


class Server:
    def __init__(self, env: dict):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile("w+", prefix="bench-daphne-", suffix=".log", delete=False)  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), "workstation.asgi:application"],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("daphne exited:\n" + Path(self.log.name).read_text()[-3000:])
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("daphne did not start within 30 s")

    def stop(self, *, failed: bool = False) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()
        if failed:
            print("daphne log (last lines):\n" + Path(self.log.name).read_text()[-4000:], file=sys.stderr)
        Path(self.log.name).unlink(missing_ok=True)


class Annotator:
    """One person at the API: next, then submit, on a keep-alive connection."""

    def __init__(self, base: str, token: str, project_id: int):
        import httpx

        self.http = httpx.Client(base_url=base, headers={"Authorization": f"Token {token}"}, timeout=60)
        self.project_id = project_id
        self.count = 0

    def loop(self) -> tuple[float, float]:
        """(next ms, submit ms); raises if the server answers anything unexpected."""
        t0 = time.perf_counter()
        got = self.http.get(f"/api/projects/{self.project_id}/next/")
        t1 = time.perf_counter()
        if got.status_code != 200:
            raise RuntimeError(f"next answered {got.status_code}: {got.text[:300]}")
        self.count += 1
        task_id = got.json()["task_id"]
        body = {"result": {"text": f"Answer number {self.count}, written with care."}, "active_seconds": 42.0}
        sent = self.http.post(f"/api/tasks/{task_id}/annotations/", json=body)
        t2 = time.perf_counter()
        if sent.status_code != 201:
            raise RuntimeError(f"submit answered {sent.status_code}: {sent.text[:300]}")
        return (t1 - t0) * 1000, (t2 - t1) * 1000

    def close(self) -> None:
        self.http.close()


def _summary(samples: list[tuple[float, float]]) -> dict:
    loops = [a + b for a, b in samples]
    return {
        "p50_ms": round(_pct(loops, 50), 2),
        "p95_ms": round(_pct(loops, 95), 2),
        "next_p50_ms": round(_pct([a for a, _ in samples], 50), 2),
        "submit_p50_ms": round(_pct([b for _, b in samples], 50), 2),
        "mean_ms": round(statistics.fmean(loops), 2) if loops else float("nan"),
    }


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used (Linux /proc), so per-loop server cost can be read
    apart from how busy the machine is."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def measure(*, base: str, info: dict, loops: int, concurrency: int, concurrent_loops: int, server_pid: int) -> dict:
    pid = info["project_id"]
    fresh = Annotator(base, info["tokens"]["fresh"], pid)
    veteran = Annotator(base, info["tokens"]["veteran"], pid)
    for person in (fresh, veteran):  # warm up: imports, connections, caches
        for _ in range(5):
            person.loop()
    fresh_samples, veteran_samples = [], []
    fresh_seconds = 0.0
    cpu_before = _cpu_seconds(server_pid)
    for _ in range(loops):  # alternate, so both see the same machine
        started = time.perf_counter()
        fresh_samples.append(fresh.loop())
        fresh_seconds += time.perf_counter() - started
        veteran_samples.append(veteran.loop())
    server_cpu_ms = (_cpu_seconds(server_pid) - cpu_before) * 1000 / (2 * loops)
    fresh.close()
    veteran.close()

    crowd = [Annotator(base, info["tokens"][f"crowd{i}"], pid) for i in range(concurrency)]
    for person in crowd:
        person.loop()
    gate = threading.Barrier(concurrency + 1)
    crowd_samples: list[tuple[float, float]] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def run(person: Annotator) -> None:
        mine = []
        try:
            gate.wait()
            for _ in range(concurrent_loops):
                mine.append(person.loop())
        except BaseException as exc:
            failures.append(exc)
        with lock:
            crowd_samples.extend(mine)

    threads = [threading.Thread(target=run, args=(p,)) for p in crowd]
    for t in threads:
        t.start()
    gate.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    crowd_seconds = time.perf_counter() - started
    for person in crowd:
        person.close()
    if failures:
        raise failures[0]
    return {
        "fresh": _summary(fresh_samples),
        "veteran": _summary(veteran_samples),
        "fresh_loops_per_s": round(loops / fresh_seconds, 1),
        "server_cpu_ms_per_loop": round(server_cpu_ms, 2),
        "crowd": _summary(crowd_samples),
        "crowd_loops_per_s": round(len(crowd_samples) / crowd_seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a small smoke run (seconds)")
    parser.add_argument("--tasks", type=int, help="tasks to import (default 100000; quick 2000)")
    parser.add_argument("--history", type=int, help="submitted annotations of the veteran (default 1000; quick 50)")
    parser.add_argument("--loops", type=int, help="sequential loops per annotator (default 200; quick 20)")
    parser.add_argument("--concurrency", type=int, default=20, help="annotators at once (default 20; quick 4)")
    parser.add_argument("--concurrent-loops", type=int, help="loops per concurrent annotator (default 20; quick 5)")
    parser.add_argument("--database-url", help="a PostgreSQL server to create a scratch database on")
    args = parser.parse_args()
    quick = args.quick
    tasks = args.tasks or (2000 if quick else 100_000)
    history = args.history if args.history is not None else (50 if quick else 1000)
    loops = args.loops or (20 if quick else 200)
    concurrency = 4 if quick and args.concurrency == 20 else args.concurrency
    concurrent_loops = args.concurrent_loops or (5 if quick else 20)

    sys.path.insert(0, str(ROOT))
    db = Database(args.database_url)
    env = _environment(db)
    os.environ.update(env)
    db.create()
    server = None
    failed = True
    try:
        info = setup(tasks=tasks, history=history, annotators=concurrency)
        server = Server(env)
        figures = measure(
            base=server.url,
            info=info,
            loops=loops,
            concurrency=concurrency,
            concurrent_loops=concurrent_loops,
            server_pid=server.proc.pid,
        )
        failed = False
    finally:
        if server is not None:
            server.stop(failed=failed)
        db.drop()

    fresh, veteran, crowd = figures["fresh"], figures["veteran"], figures["crowd"]
    import_rate = tasks / info["import_seconds"]
    ratio = veteran["p50_ms"] / fresh["p50_ms"] if fresh["p50_ms"] else float("nan")
    print(
        f"database: {db.vendor}; {tasks} tasks imported in {info['import_seconds']:.2f} s = {import_rate:,.0f} tasks/s"
    )
    print(f"history: the veteran submitted {history} annotations first ({info['history_seconds']:.1f} s in-process)")
    print(
        f"1 annotator, no history   : next+submit p50 {fresh['p50_ms']} ms, p95 {fresh['p95_ms']} ms "
        f"(next {fresh['next_p50_ms']} + submit {fresh['submit_p50_ms']}), {figures['fresh_loops_per_s']} loops/s"
    )
    print(
        f"1 annotator, {history} history: next+submit p50 {veteran['p50_ms']} ms, p95 {veteran['p95_ms']} ms "
        f"(ratio to no history {ratio:.2f})"
    )
    print(
        f"{concurrency} annotators at once  : next+submit p50 {crowd['p50_ms']} ms, p95 {crowd['p95_ms']} ms, "
        f"{figures['crowd_loops_per_s']} loops/s in all"
    )
    print("bars: p50 < 30 ms; history must not raise the cost; import > 20,000 tasks/s")
    print(f"server CPU per next+submit (sequential phase): {figures['server_cpu_ms_per_loop']} ms")
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} (compare within a run)")
    print(
        json.dumps(
            {
                "database": db.vendor,
                "tasks": tasks,
                "import_tasks_per_s": round(import_rate),
                "next_submit_p50_ms": fresh["p50_ms"],
                "next_submit_p95_ms": fresh["p95_ms"],
                "loops_per_s": figures["fresh_loops_per_s"],
                "history_annotations": history,
                "history_next_submit_p50_ms": veteran["p50_ms"],
                "history_next_submit_p95_ms": veteran["p95_ms"],
                "history_to_fresh_p50_ratio": round(ratio, 3),
                "concurrency": concurrency,
                "concurrent_next_submit_p50_ms": crowd["p50_ms"],
                "concurrent_next_submit_p95_ms": crowd["p95_ms"],
                "concurrent_loops_per_s": figures["crowd_loops_per_s"],
                "sequential_loops": loops,
                "quick": quick,
                "server_cpu_ms_per_loop": figures["server_cpu_ms_per_loop"],
                "load_average_1m": round(os.getloadavg()[0], 2),
            }
        )
    )


if __name__ == "__main__":
    main()
