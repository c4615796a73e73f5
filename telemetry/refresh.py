"""Signal refreshes after late events, off the ingest path.

Events that reach a closed session (the page was submitted before its last frames were acknowledged)
make the annotation's stored signals stale. Recomputing them reads every event of the annotation, so
it never runs where frames are written (the batcher thread every socket shares): ingest only
schedules it here, and one worker thread runs it, at most once per annotation per interval. The
first late frame is refreshed at once; frames arriving within the interval after it share one
trailing refresh, which therefore sees them all.
"""

import logging
import threading
import time

from django.conf import settings
from django.db import connections

logger = logging.getLogger(__name__)


def signals_refresh(*, annotation_id: int) -> None:
    from telemetry.signals import signals_refresh_for_annotation

    signals_refresh_for_annotation(annotation_id=annotation_id)


class SignalsRefresher:
    def __init__(self, *, interval_s: float | None = None, clock=time.monotonic, worker: bool = True):
        self.interval_s = interval_s  # None: settings.TELEMETRY_SIGNALS_REFRESH_INTERVAL_S when used
        self.clock = clock
        self.worker = worker
        self.due: dict[int, float] = {}  # annotation id -> when its refresh may run
        self.last_run: dict[int, float] = {}
        self.running: set[int] = set()
        self.cond = threading.Condition()
        self.thread: threading.Thread | None = None

    def interval(self) -> float:
        return settings.TELEMETRY_SIGNALS_REFRESH_INTERVAL_S if self.interval_s is None else self.interval_s

    def schedule(self, *, annotation_id: int) -> None:
        with self.cond:
            if annotation_id in self.due:
                return  # already waiting: it will read these events too
            now = self.clock()
            last = self.last_run.get(annotation_id)
            self.due[annotation_id] = now if last is None else max(now, last + self.interval())
            if self.worker and (self.thread is None or not self.thread.is_alive()):
                self.thread = threading.Thread(target=self._loop, name="telemetry-signals-refresh", daemon=True)
                self.thread.start()
            self.cond.notify_all()

    def _take_due(self) -> list[int]:
        with self.cond:
            now = self.clock()
            ready = [aid for aid, at in self.due.items() if at <= now]
            for aid in ready:
                del self.due[aid]
                self.last_run[aid] = now
                self.running.add(aid)
            if len(self.last_run) > 1000:  # forget runs older than the interval: they limit nothing
                horizon = now - self.interval()
                self.last_run = {aid: at for aid, at in self.last_run.items() if at > horizon}
            return ready

    def run_due(self) -> int:
        """Run every refresh that is due now, in this thread; how many ran."""
        ready = self._take_due()
        for annotation_id in ready:
            try:
                signals_refresh(annotation_id=annotation_id)
            except Exception:  # the events are stored; `manage.py recompute_signals` repairs the row
                logger.exception("signals for annotation %s could not be refreshed", annotation_id)
            finally:
                with self.cond:
                    self.running.discard(annotation_id)
                    self.cond.notify_all()
        return len(ready)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until nothing is due or running (tests of the worker); False on timeout."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while self.due or self.running:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(min(left, 0.05))
            return True

    def _loop(self) -> None:
        while True:
            with self.cond:
                while True:
                    if self.due:
                        wait = min(self.due.values()) - self.clock()
                        if wait <= 0:
                            break
                        self.cond.wait(wait)
                    else:
                        self.cond.wait()
            try:
                self.run_due()
            finally:
                connections.close_all()  # this thread's connections only; refreshes are rare


REFRESHER = SignalsRefresher()


def schedule(*, annotation_id: int) -> None:
    REFRESHER.schedule(annotation_id=annotation_id)
