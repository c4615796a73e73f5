"""Shared fixtures: users with roles, demo projects, and the real ASGI app under daphne."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from annotations import roles
from annotations.models import GuidelineVersion, Membership, Project, Task

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "test-pass-123"


def pytest_configure(config):
    # Hashing passwords is most of a suite's time: tests use a fast hasher, and so does the daphne
    # server they start (settings read PASSWORD_HASHERS from the environment). Never in production.
    os.environ.setdefault("PASSWORD_HASHERS", "django.contrib.auth.hashers.MD5PasswordHasher")
    from django.conf import settings

    settings.PASSWORD_HASHERS = os.environ["PASSWORD_HASHERS"].split(",")


def hook_overrider(monkeypatch):
    """override(name, *fns): the hook answers with exactly these functions (none: as if nobody
    registered) until the monkeypatch is undone."""
    from annotations import hooks

    def override(name: str, *fns):
        monkeypatch.setitem(hooks._registry, hooks.known(name), list(fns))

    return override


@pytest.fixture
def hook_override(monkeypatch):
    """hook_override(name, *fns) for this test only: the registry is restored after the test, even
    when it fails (never edit hooks._registry in a test)."""
    return hook_overrider(monkeypatch)


@pytest.fixture
def make_user(db):
    """A user with the roles they will hold in the projects they are added to (make_project(members=...)
    gives each member a Membership per role); roles are per project, so this alone grants nothing."""

    def make(username: str, role: str | None = roles.ANNOTATOR, **extra):
        user = get_user_model().objects.create_user(username=username, password=PASSWORD, **extra)
        user.project_roles = {role} if role else set()
        if role == roles.PROJECT_ADMIN:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        return user

    return make


def join(project: Project, user, *project_roles: str) -> None:
    """Give the user these roles (default: the ones make_user gave them) in the project."""
    for role in project_roles or getattr(user, "project_roles", None) or {roles.ANNOTATOR}:
        Membership.objects.get_or_create(project=project, user=user, role=role)
    user.__dict__.pop("_membership_pairs", None)


@pytest.fixture
def annotator(make_user):
    return make_user("ann1")


@pytest.fixture
def other_annotator(make_user):
    return make_user("ann2")


@pytest.fixture
def reviewer(make_user):
    return make_user("rev1", roles.REVIEWER)


@pytest.fixture
def project_admin(make_user):
    return make_user("admin", roles.PROJECT_ADMIN)


@pytest.fixture
def make_project(db):
    def make(kind: str = Project.Kind.WRITE, *, members=(), tasks: int = 3, **fields) -> Project:
        defaults = {
            Project.Kind.WRITE: {},
            Project.Kind.CLASSIFY: {"labels": ["positive", "negative", "neutral"], "text_required": False},
            Project.Kind.COMPARE: {
                "comparison_dimensions": [
                    {"key": "accuracy", "name": "Accuracy", "description": "Correct"},
                    {"key": "helpfulness", "name": "Helpfulness", "description": "Useful"},
                ]
            },
        }[kind]
        slug = fields.pop("slug", f"{kind}-{Project.objects.count() + 1}")
        project = Project.objects.create(name=slug.title(), slug=slug, kind=kind, **{**defaults, **fields})
        for member in members:
            join(project, member)
        GuidelineVersion.objects.create(project=project, number=1, text="# Guide\n\nDo it well.")
        for i in range(tasks):
            payload = {
                Project.Kind.WRITE: {"prompt": f"Explain thing {i}"},
                Project.Kind.CLASSIFY: {"text": f"Text {i}"},
                Project.Kind.COMPARE: {"prompt": f"Q{i}", "response_a": f"A{i}", "response_b": f"B{i}"},
            }[kind]
            Task.objects.create(
                project=project,
                payload=payload,
                external_id=f"t{i}",
                references=[{"id": "r1", "title": "Reference one", "body": "Body of reference one."}],
            )
        return project

    return make


def run_async(make_coro):
    """Run a coroutine to completion on a fresh loop in its own thread (safe even while
    Playwright's sync API holds a running loop in the test thread)."""
    import asyncio
    import threading

    box: dict = {}

    def target():
        try:
            box["value"] = asyncio.run(make_coro())
        except BaseException as exc:  # re-raised in the test thread
            box["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


# --- The real ASGI app under daphne -------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url() -> str:
    from django.db import connection

    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


# daphne drops the connection of a websocket message over 1 MiB; the server runs with a larger cap
# (`make run` needs the same flags), so that the app answers frames over its 256 KiB limit with too_large.
DAPHNE_ARGS = (
    "--websocket-max-message-size",
    "4194304",
    "--websocket-max-frame-size",
    "4194304",
    "workstation.asgi:application",
)


class DaphneServer:
    def __init__(self, extra_env: dict | None = None):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        self.extra_env = extra_env or {}
        self.proc: subprocess.Popen | None = None

    def start(self) -> "DaphneServer":
        env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "DEBUG": "1",
            "HTTPS": "0",
            "DJANGO_SETTINGS_MODULE": "workstation.settings",
            **self.extra_env,
        }
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # never in the app
        self.log = open(ROOT / f".daphne-{self.port}.log", "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), *DAPHNE_ARGS],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"daphne exited: {(ROOT / f'.daphne-{self.port}.log').read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("daphne did not start within 30 s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)

    def restart(self) -> None:
        """Stop and start on the same port (tests of reconnecting clients)."""
        self.stop()
        port = self.port
        self.__init__(self.extra_env)
        self.port, self.url, self.ws_url = port, f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}"
        self.start()


@pytest.fixture
def daphne_server(transactional_db):
    """The real ASGI application (HTTP + websockets) served by daphne on a free port.

    Tests using it write with transactional_db, so the server process sees committed rows.
    """
    server = DaphneServer().start()
    yield server
    server.stop()
