"""bench/ingest.py runs end to end in its quick shape and reports its figures (values are not asserted:
timings belong to the benchmark, not to tests)."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_ingest_bench_quick_run_reports_its_figures_and_loses_nothing(tmp_path):
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "ingest.py"), "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    for name in (
        "events_per_s",
        "ack_p50_ms",
        "ack_p99_ms",
        "lost",
        "baseline_events_per_s",
        "raw_ceiling_rows_per_s",
        "database",
    ):
        assert name in figures, name
    assert figures["lost"] == 0
    assert figures["errors"] == 0
    assert figures["events_per_s"] > 0 and figures["baseline_events_per_s"] > 0
