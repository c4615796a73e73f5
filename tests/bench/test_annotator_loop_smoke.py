"""The annotator-loop benchmark runs end to end (a --quick smoke run) and ends with its JSON figures.

No timing is asserted here: the figures belong to bench/, this only proves the script works."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KEYS = {
    "database",
    "next_submit_p50_ms",
    "next_submit_p95_ms",
    "loops_per_s",
    "import_tasks_per_s",
    "history_next_submit_p50_ms",
    "history_to_fresh_p50_ratio",
    "concurrent_next_submit_p50_ms",
    "concurrent_loops_per_s",
}


def test_annotator_loop_quick_run_ends_with_its_figures_as_json():
    command = [sys.executable, str(ROOT / "bench" / "annotator_loop.py"), "--quick"]
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        command += ["--database-url", url]  # the suite's PostgreSQL server; the bench makes its own database
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(figures) >= KEYS
    assert figures["database"] == ("postgresql" if url.startswith("postgres") else "sqlite")
    assert figures["tasks"] == 2000 and figures["quick"] is True
    assert all(figures[k] > 0 for k in KEYS - {"database"})
