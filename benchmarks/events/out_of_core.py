"""Build journeys from an event log larger than the memory the process may use.

    sudo .venv/bin/python benchmarks/events/out_of_core.py --users 5000000 \
        --cap 1.5GiB --memory-limit 500MB --workdir /tmp/pcbench --reference

1. Writes a simulated log of ``--users`` people (chunks of 1,000,000, so the
   generator never holds it all) to ``WORKDIR/events_big_<users>.parquet`` unless
   it exists, and prints its size as a pandas frame.
2. Runs ``build_journeys`` on DuckDB in a child process whose memory is capped
   by the kernel: a cgroup (v1 ``memory.limit_in_bytes`` or v2 ``memory.max``)
   of ``--cap`` bytes, page cache included, so exceeding it gets the child
   OOM-killed. DuckDB gets ``memory_limit = --memory-limit`` and spills to
   ``WORKDIR/spill``.
3. Runs the pandas reference (``backend="pandas"``) under the same cap, to show
   the log does not fit in that memory the ordinary way.
4. With ``--reference``: builds the path table again without any limit (one
   pass) and checks the capped run gave the same numbers of paths,
   conversions and non-converting journeys. (The tests check the partitioned
   build row by row against the one-pass build on smaller logs.)

Creating a cgroup needs root. Without one (``--cap none``) only DuckDB's own
``memory_limit`` constrains the run, which bounds DuckDB's buffers but not the
whole process; the script says which of the two it did.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

CHILD = r"""
import json, resource, sys, time
engine, path, limit, spill = sys.argv[1:5]
from pathcredit.journeys.events import build_journeys
t0 = time.perf_counter()
if engine == "pandas":
    import pandas as pd
    ej = build_journeys(pd.read_parquet(path), value_col="value", backend="pandas")
else:
    import ibis
    con = ibis.duckdb.connect()
    con.raw_sql("SET threads = 2")
    if limit != "none":
        con.raw_sql(f"SET memory_limit = '{limit}'")
    con.raw_sql("SET preserve_insertion_order = false")
    con.raw_sql(f"SET temp_directory = '{spill}'")
    ej = build_journeys(path, value_col="value", backend=con)
j = ej.journeys
print(json.dumps({"engine": engine, "wall_s": time.perf_counter() - t0,
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "partitions": getattr(ej, "partitions", 1), "paths": j.n_paths,
                  "conversions": j.total_conversions, "nulls": j.total_nulls}))
"""

UNITS = {"kib": 2**10, "mib": 2**20, "gib": 2**30, "kb": 10**3, "mb": 10**6, "gb": 10**9}


def parse_bytes(text: str) -> int:
    low = text.strip().lower()
    for unit, factor in UNITS.items():
        if low.endswith(unit):
            return int(float(low[: -len(unit)]) * factor)
    return int(low)


def write_log(path: str, users: int) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from pathcredit.simulate import simulate_events

    writer, size, events, chunk = None, 0, 0, 1_000_000
    for k in range(0, users, chunk):
        ev = simulate_events(min(chunk, users - k), seed=100 + k // chunk, mean_touches=9.7)
        ev["user_id"] = f"c{k // chunk}_" + ev["user_id"]
        size += int(ev.memory_usage(deep=True).sum())
        events += len(ev)
        table = pa.Table.from_pandas(ev, preserve_index=False)
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
        del ev, table
    writer.close()
    with open(path + ".json", "w") as fh:
        json.dump({"users": users, "events": events, "pandas_bytes": size}, fh)


class Cgroup:
    """A memory cgroup (v1 or v2) with a hard limit; children join it before exec."""

    def __init__(self, limit: int):
        name = f"pathcredit-ooc-{os.getpid()}"
        v1 = "/sys/fs/cgroup/memory"
        if os.path.isdir(v1):
            self.dir, files = os.path.join(v1, name), ("memory.limit_in_bytes",)
            self.peak_file = "memory.max_usage_in_bytes"
        else:
            self.dir, files = os.path.join("/sys/fs/cgroup", name), ("memory.max",)
            self.peak_file = "memory.peak"
        os.mkdir(self.dir)
        for f in files:
            with open(os.path.join(self.dir, f), "w") as fh:
                fh.write(str(limit))
        swap = os.path.join(self.dir, "memory.memsw.limit_in_bytes")
        if os.path.exists(swap):  # no swapping around the cap either
            with open(swap, "w") as fh:
                fh.write(str(limit))

    def join(self) -> None:
        with open(os.path.join(self.dir, "cgroup.procs"), "w") as fh:
            fh.write(str(os.getpid()))

    def peak(self) -> int | None:
        try:
            with open(os.path.join(self.dir, self.peak_file)) as fh:
                return int(fh.read())
        except OSError:
            return None

    def remove(self) -> None:
        os.rmdir(self.dir)


def run(engine, path, args, cap_bytes, memory_limit=None):
    spill = os.path.join(args.workdir, "spill")
    os.makedirs(spill, exist_ok=True)
    group = Cgroup(cap_bytes) if cap_bytes else None
    t0 = time.perf_counter()
    try:
        out = subprocess.run(
            [sys.executable, "-c", CHILD, engine, path, memory_limit or args.memory_limit, spill],
            capture_output=True,
            text=True,
            preexec_fn=group.join if group else None,
        )
        peak = group.peak() if group else None
    finally:
        if group:
            group.remove()
    wall = time.perf_counter() - t0
    cg = f", cgroup peak {peak / 2**20:,.0f} MiB" if peak else ""
    if out.returncode:
        how = "killed by the kernel (out of memory)" if out.returncode == -9 else "failed"
        last = (out.stderr.strip().splitlines() or ["(no output)"])[-1][:600]
        print(f"{engine}: {how} after {wall:.1f} s{cg}: exit {out.returncode}: {last}")
        return None
    r = json.loads(out.stdout.strip().splitlines()[-1])
    print(
        f"{engine}: ok in {r['wall_s']:.1f} s, {r['partitions']} partition(s), "
        f"peak RSS {r['peak_rss_mib']:,.0f} MiB{cg}, {r['paths']:,} paths, "
        f"{r['conversions']:,.0f} conversions, {r['nulls']:,.0f} non-converting journeys",
        flush=True,
    )
    return r


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=5_000_000)
    ap.add_argument("--cap", default="1.5GiB", help="hard memory cap of the process, or 'none'")
    ap.add_argument("--memory-limit", default="500MB", help="DuckDB's memory_limit")
    ap.add_argument("--workdir", default="/tmp/pcbench")
    ap.add_argument("--skip-pandas", action="store_true")
    ap.add_argument(
        "--reference",
        action="store_true",
        help="also build the path table without cap or memory_limit (one pass) and compare",
    )
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    path = os.path.join(args.workdir, f"events_big_{args.users}.parquet")
    if not os.path.exists(path + ".json"):
        t0 = time.perf_counter()
        write_log(path, args.users)
        print(f"wrote {path} in {time.perf_counter() - t0:.0f} s", flush=True)
    with open(path + ".json") as fh:
        meta = json.load(fh)
    cap = None if args.cap == "none" else parse_bytes(args.cap)
    print(
        f"log: {meta['events']:,} events of {meta['users']:,} people; as a pandas frame "
        f"{meta['pandas_bytes'] / 2**30:.2f} GiB; Parquet {os.path.getsize(path) / 2**30:.2f} GiB"
    )
    print(
        "memory: "
        + (f"hard cgroup cap {cap / 2**30:.2f} GiB on the whole process" if cap else "no cap")
        + f", DuckDB memory_limit {args.memory_limit}",
        flush=True,
    )
    duck = run("duckdb", path, args, cap)
    if not args.skip_pandas:
        run("pandas", path, args, cap)
    if duck is None:
        sys.exit(1)
    if args.reference:
        print("reference (no cap, no memory_limit):", end=" ", flush=True)
        ref = run("duckdb", path, args, None, memory_limit="none")
        keys = ("paths", "conversions", "nulls")
        same = all(ref[k] == duck[k] for k in keys) and ref["partitions"] == 1
        print("same path table totals as the reference:", same)
        if not same:
            sys.exit(1)


if __name__ == "__main__":
    main()
