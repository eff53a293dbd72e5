"""Event log -> path table: DuckDB (pathcredit.build_journeys) vs the pandas reference.

Usage: python benchmarks/events/run.py [--users 1000000] [--repeats 5] [--workdir DIR]

Each run is a fresh subprocess that reads the same Parquet file, builds the path
table and reports wall time and peak resident memory (ru_maxrss), so peaks are
honest. Runs are interleaved (duckdb, pandas, duckdb, pandas, ...); medians are
printed. The run on a log larger than the memory allowed is out_of_core.py.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

CHILD = r"""
import json, resource, sys, time
engine, path = sys.argv[1], sys.argv[2]
import pandas as pd
from pathcredit.journeys.events import build_journeys
t0 = time.perf_counter()
if engine == "pandas":
    ej = build_journeys(pd.read_parquet(path), value_col="value", backend="pandas")
else:
    import ibis
    con = ibis.duckdb.connect()
    con.raw_sql("SET threads = 2")
    ej = build_journeys(path, value_col="value", backend=con)
j = ej.journeys
wall = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"engine": engine, "wall_s": wall, "peak_mib": peak, "paths": j.n_paths,
                  "conversions": j.total_conversions, "nulls": j.total_nulls,
                  "value": j.total_value}))
"""


def run_child(engine, path):
    out = subprocess.run(
        [sys.executable, "-c", CHILD, engine, path],
        capture_output=True,
        text=True,
    )
    if out.returncode:
        sys.exit(f"{engine} run on {path} failed:\n{out.stderr.strip().splitlines()[-1]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--workdir", default=None)
    args = ap.parse_args()
    from pathcredit.simulate import simulate_events

    work = args.workdir or tempfile.mkdtemp(prefix="pathcredit-bench-")
    path = os.path.join(work, f"events_{args.users}.parquet")
    if not os.path.exists(path):
        t0 = time.perf_counter()
        ev = simulate_events(args.users, seed=0, mean_touches=9.7)
        ev.to_parquet(path, index=False)
        print(
            f"simulated {len(ev):,} events of {args.users:,} people in "
            f"{time.perf_counter() - t0:.1f} s; in-memory size "
            f"{ev.memory_usage(deep=True).sum() / 2**20:,.0f} MiB; parquet "
            f"{os.path.getsize(path) / 2**20:,.0f} MiB",
            flush=True,
        )
        del ev
    results = {"duckdb": [], "pandas": []}
    for i in range(args.repeats):
        for engine in ("duckdb", "pandas"):
            r = run_child(engine, path)
            results[engine].append(r)
            print(
                f"run {i + 1} {engine}: {r['wall_s']:.1f} s, peak {r['peak_mib']:,.0f} MiB, "
                f"{r['paths']:,} paths",
                flush=True,
            )
    a, b = results["duckdb"][0], results["pandas"][0]
    assert (a["paths"], a["conversions"], a["nulls"]) == (b["paths"], b["conversions"], b["nulls"])
    med = {e: statistics.median(r["wall_s"] for r in rs) for e, rs in results.items()}
    mem = {e: statistics.median(r["peak_mib"] for r in rs) for e, rs in results.items()}
    print(
        f"\nmedian wall: duckdb {med['duckdb']:.1f} s, pandas {med['pandas']:.1f} s, "
        f"speed-up x{med['pandas'] / med['duckdb']:.1f}"
    )
    print(f"median peak RSS: duckdb {mem['duckdb']:,.0f} MiB, pandas {mem['pandas']:,.0f} MiB")


if __name__ == "__main__":
    main()
