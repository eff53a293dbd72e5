"""Try building journeys on DuckDB with a memory limit below the data's in-memory size.

    .venv/bin/python benchmarks/events/out_of_core.py EVENTS.parquet 300MB 1

Arguments: the Parquet event log (from run.py's --workdir), DuckDB's memory_limit,
threads. Prints ``ok`` with time, distinct paths and peak RSS, or ``FAIL`` with the
engine's error. Spilling goes to a temp directory next to the input.
"""

import resource
import sys
import time
from pathlib import Path

import ibis

from pathcredit.journeys.events import build_journeys


def main() -> None:
    path, limit, threads = sys.argv[1], sys.argv[2], sys.argv[3]
    con = ibis.duckdb.connect()
    con.raw_sql(f"SET threads = {int(threads)}")
    con.raw_sql(f"SET memory_limit = '{limit}'")
    con.raw_sql("SET preserve_insertion_order = false")
    con.raw_sql(f"SET temp_directory = '{Path(path).parent / 'spill'}'")
    t = time.perf_counter()
    try:
        j = build_journeys(path, value_col="value", backend=con).journeys
    except Exception as exc:  # noqa: BLE001 - report the engine's error and go on
        print(
            f"FAIL {path} limit={limit} threads={threads} after {time.perf_counter() - t:.1f} s: "
            f"{str(exc).splitlines()[0][:200]}"
        )
        return
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(
        f"ok {path} limit={limit} threads={threads} {time.perf_counter() - t:.1f} s, "
        f"{j.n_paths} paths, peak {peak} MiB"
    )


if __name__ == "__main__":
    main()
