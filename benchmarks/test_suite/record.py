"""Time the test suite's two tiers and record them in ``timings.json`` (the README's
Testing section quotes this file; ``tests/test_readme_numbers.py`` checks the quote).

    .venv/bin/python benchmarks/test_suite/record.py

Runs ``pytest -m "not slow"`` (the fast tier), then ``pytest -m slow``; the two together
are the full suite that CI runs as one ``pytest``. For each: the number of tests, wall
time, CPU time of pytest and its children (user + sys: what the run costs the machine,
close to the wall time on quiet cores for this mostly single-process suite), the load
average before and after, and the slowest tests (``--durations``); then rewrites the
README's timing sentences from the record (:func:`render`).
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
README = ROOT / "README.md"
SELF_CHECKS = (
    "test_testing_section_quotes_the_committed_timings",
    "test_the_fast_tier_claim_is_the_recorded_one",
)
BLOCK = re.compile(r"(<!-- BEGIN test timings[^\n]*-->\n)(.*?)(<!-- END test timings -->)", re.S)


def _load(t: dict) -> str:
    lo = min(t["load_before"][0], t["load_after"][0])
    hi = max(t["load_before"][0], t["load_after"][0])
    return f"{lo:.1f}" if f"{lo:.1f}" == f"{hi:.1f}" else f"{lo:.1f}-{hi:.1f}"


def _min(seconds: float) -> str:
    return f"{seconds / 60:.1f} min"


def render(rec: dict) -> str:
    """The README's sentences on the two tiers, from a ``timings.json`` record."""
    f, s, full = rec["fast"], rec["slow"], rec["full"]
    m = rec["machine"]
    return (
        f"Measured with `benchmarks/test_suite/record.py` (fast tier {f['date']}, the "
        f"slow tests {s['date']}) on this "
        f"repository's {m['cpu_count']}-core machine ({m['cpu']}), load average "
        f"{_load(f)} during the fast tier and {_load(s)} during the slow tests (2 is a full "
        "machine; above it other jobs were slowing the run; CPU time is user + system of "
        "pytest and its children, several threads at once where DuckDB or Spark run): "
        f"the fast tier, {f['tests']:,} tests, took {_min(f['wall_s'])} wall and "
        f"{_min(f['cpu_s'])} of CPU; the full suite, {full['tests']:,} tests, "
        f"{_min(full['wall_s'])} wall and {_min(full['cpu_s'])} of CPU. The slowest tests "
        "and both commands are in `benchmarks/test_suite/timings.json`."
    )


def update_readme(rec: dict) -> None:
    text = README.read_text(encoding="utf-8")
    new, n = BLOCK.subn(lambda m: m.group(1) + render(rec) + "\n" + m.group(3), text)
    if n != 1:
        raise SystemExit("README.md has no test timings block")
    README.write_text(new, encoding="utf-8")


def run_tier(marker: str) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load0 = os.getloadavg()
    t0 = time.perf_counter()
    # the two tests that check this record against the README read the record being
    # rewritten: they are left out of its own measurement (they take milliseconds)
    skip = [f"--deselect=tests/test_readme_numbers.py::{t}" for t in SELF_CHECKS]
    cmd = [sys.executable, "-m", "pytest", "-n", "auto", "-q", "-p", "no:cacheprovider",
           "-m", marker, "--durations=25", *skip]  # fmt: skip
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = proc.stdout
    counts = {k: int(v) for v, k in re.findall(r"(\d+) (passed|failed|skipped|deselected|error)",
                                               out.splitlines()[-1] if out else "")}  # fmt: skip
    slowest = [
        [float(s), kind, node]
        for s, kind, node in re.findall(r"^([\d.]+)s (call|setup|teardown)\s+(\S+)", out, re.M)
    ]
    return {
        "command": "python -m pytest -n auto -m " + json.dumps(marker),
        "returncode": proc.returncode,
        "tests": counts.get("passed", 0) + counts.get("failed", 0),
        "counts": counts,
        "wall_s": round(wall, 1),
        "cpu_s": round((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 1),
        "load_before": [round(x, 2) for x in load0],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "slowest": slowest,
    }


def main(argv: list[str] | None = None) -> None:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--tiers",
        nargs="+",
        choices=["fast", "slow"],
        default=["fast", "slow"],
        help="tiers to (re)measure; the others are kept from timings.json",
    )
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT / "src"))
    from pathcredit.benchmark import machine_info

    path = HERE / "timings.json"
    rec = json.loads(path.read_text()) if path.exists() else {}
    for tier, marker in (("fast", "not slow"), ("slow", "slow")):
        if tier in args.tiers:
            date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
            rec[tier] = {"date": date, **run_tier(marker)}
    rec["machine"] = machine_info()
    rec["date"] = rec["fast"]["date"]
    rec["full"] = {
        "tests": rec["fast"]["tests"] + rec["slow"]["tests"],
        "wall_s": round(rec["fast"]["wall_s"] + rec["slow"]["wall_s"], 1),
        "cpu_s": round(rec["fast"]["cpu_s"] + rec["slow"]["cpu_s"], 1),
    }
    path.write_text(json.dumps(rec, indent=2) + "\n")
    update_readme(rec)
    for tier in ("fast", "slow"):
        t = rec[tier]
        print(tier, t["date"], t["tests"], "tests", t["wall_s"], "s wall", t["cpu_s"], "s CPU",
              "rc", t["returncode"])  # fmt: skip


if __name__ == "__main__":
    main()
