"""Build journeys from the same 1M-event log as CSV and as Parquet, at one commit.

Run it once per commit to compare versions side by side, e.g. the current tree and
an older one checked out with ``git worktree add --detach /tmp/old <commit>``::

    PYTHONPATH=src .venv/bin/python benchmarks/events/csv_build.py
    PYTHONPATH=/tmp/old/src .venv/bin/python benchmarks/events/csv_build.py

It prints the median of three builds per file format. The log: 200,000 random
users, times over 90 days, six channels, 3% conversions (seed 0).
"""

import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from pathcredit.journeys.events import build_journeys


def make_log(n: int = 1_000_000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    channels = ["search", "display", "email", "social", "direct", "affiliate"]
    return pd.DataFrame(
        {
            "user_id": rng.integers(0, 200_000, n).astype(str),
            "timestamp": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 90 * 86400, n), unit="s"),
            "channel": rng.choice(channels, n),
            "conversion": (rng.random(n) < 0.03).astype(int),
        }
    )


def main() -> None:
    import pathcredit

    with tempfile.TemporaryDirectory() as tmp:
        log = make_log()
        files = {"csv": Path(tmp) / "ev.csv", "parquet": Path(tmp) / "ev.parquet"}
        log.to_csv(files["csv"], index=False)
        log.to_parquet(files["parquet"])
        print(f"pathcredit from {Path(pathcredit.__file__).parent}", file=sys.stderr)
        for kind, path in files.items():
            times = []
            for _ in range(3):
                t = time.perf_counter()
                built = build_journeys(path)
                times.append(time.perf_counter() - t)
            print(f"{kind}: {statistics.median(times):.2f} s, {built.journeys.n_paths} paths")


if __name__ == "__main__":
    main()
