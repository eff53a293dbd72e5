"""Event log -> path table: DuckDB (pathcredit.build_journeys) vs the pandas reference.

Usage: python benchmarks/events/run.py [--users 1000000] [--repeats 3] [--workdir DIR]

Each run is a fresh subprocess that reads the same Parquet file, builds the path
table and reports wall time and peak resident memory (ru_maxrss), so peaks are
honest. Runs are interleaved (duckdb, pandas, duckdb, pandas, ...); medians are
printed. A last run builds the path table from a larger Parquet log with DuckDB
limited to a memory_limit well below the data's in-memory size.
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
engine, path, limit = sys.argv[1], sys.argv[2], sys.argv[3]
import pandas as pd
from pathcredit.journeys.events import build_journeys
t0 = time.perf_counter()
if engine == "pandas":
    ej = build_journeys(pd.read_parquet(path), value_col="value", backend="pandas")
else:
    import ibis
    con = ibis.duckdb.connect()
    con.raw_sql("SET threads = 2")
    if limit != "none":
        con.raw_sql(f"SET memory_limit = '{limit}'")
        con.raw_sql("SET preserve_insertion_order = false")
    ej = build_journeys(path, value_col="value", backend=con)
j = ej.journeys
wall = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"engine": engine, "wall_s": wall, "peak_mib": peak, "paths": j.n_paths,
                  "conversions": j.total_conversions, "nulls": j.total_nulls,
                  "value": j.total_value}))
"""


def run_child(engine, path, limit="none"):
    out = subprocess.run(
        [sys.executable, "-c", CHILD, engine, path, limit],
        capture_output=True,
        text=True,
    )
    if out.returncode:
        sys.exit(f"{engine} run on {path} failed:\n{out.stderr.strip().splitlines()[-1]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--big-users", type=int, default=5_000_000)
    ap.add_argument("--memory-limit", default="1GB")
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
    if args.big_users:
        big = os.path.join(work, f"events_{args.big_users}.parquet")
        if not os.path.exists(big):
            import pyarrow.parquet as pq

            writer = None
            chunk = 1_000_000
            total_mem = 0
            for k in range(0, args.big_users, chunk):
                ev = simulate_events(
                    min(chunk, args.big_users - k), seed=100 + k // chunk, mean_touches=9.7
                )
                ev["user_id"] = f"c{k // chunk}_" + ev["user_id"]
                total_mem += ev.memory_usage(deep=True).sum()
                import pyarrow as pa

                tab = pa.Table.from_pandas(ev, preserve_index=False)
                writer = writer or pq.ParquetWriter(big, tab.schema)
                writer.write_table(tab)
                del ev, tab
            writer.close()
            print(
                f"\nlarge log: {args.big_users:,} people, pandas in-memory size "
                f"{total_mem / 2**20:,.0f} MiB, parquet {os.path.getsize(big) / 2**20:,.0f} MiB"
            )
        r = run_child("duckdb", big, args.memory_limit)
        print(
            f"large log on duckdb with memory_limit={args.memory_limit}: {r['wall_s']:.1f} s, "
            f"peak RSS {r['peak_mib']:,.0f} MiB, {r['paths']:,} paths, "
            f"{r['conversions']:,.0f} conversions"
        )


if __name__ == "__main__":
    main()
