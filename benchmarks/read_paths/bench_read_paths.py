"""Speed and peak memory of ``pathcredit.read_paths`` on two 1,000,000-journey path files.

The files (CSV and Parquet each, written to a temporary folder unless ``--folder`` names
one that has them):

* ``synthetic``: ``benchmarks/markov/synthetic.py`` (12 channels ``ch00``..., about 170,000
  distinct paths, mean journey length 3);
* ``long``: ``long_paths.py`` here, an independent generator (20 channels with real names,
  about 316,000 distinct paths, mean journey length 4, up to 60).

For each file:

* **speed**: medians of interleaved runs (file on disk -> result) of ``read_paths``
  (-> Journeys) against the parsers alone, the floor: ``pyarrow.csv.read_csv`` and
  ``pandas.read_csv`` for CSV, ``pyarrow.parquet.read_table`` and ``pandas.read_parquet``
  for Parquet; wall time and CPU time of the process (all threads). The issue's target is
  ``read_paths`` at most 1.5 times ``pyarrow.csv.read_csv``.
* **memory**: peak RSS (``VmHWM``, reset through ``/proc/self/clear_refs``) above the RSS
  after imports and a warm-up on a tiny file, in fresh interpreters, against the bytes of
  what is returned (for ``read_paths``: touches, offsets, counts and channel names).

    .venv/bin/python benchmarks/read_paths/bench_read_paths.py --repeats 15 --memory-runs 5 \
        --json benchmarks/read_paths/results.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

MEMORY_PROBE = r"""
import gc, json, sys
sys.path[:0] = [p for p in sys.argv[3:] if p]
import numpy, pandas, pyarrow, pyarrow.csv
import pathcredit as pc
assert all(pc.__file__.startswith(p) for p in sys.argv[3:] if p), pc.__file__

def status(key):
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key):
                return int(line.split()[1]) * 1024

what, path = sys.argv[1], sys.argv[2]
tiny = path + ".tiny" + (".parquet" if path.endswith(".parquet") else ".csv")
run = {
    "read_paths": pc.read_paths,
    "pandas": pandas.read_parquet if path.endswith(".parquet") else pandas.read_csv,
}[what]
run(tiny)  # imports and first-call set-up are not counted
gc.collect()
with open("/proc/self/clear_refs", "w") as fh:
    fh.write("5")  # reset the peak (VmHWM) to the current RSS
base = status("VmRSS:")
out = run(path)
peak = status("VmHWM:") - base
if what == "read_paths":
    arrays = [out.touches, out.offsets, out.conversions, out.value, out.nulls]
    size = sum(a.nbytes for a in arrays if a is not None)
    size += sum(sys.getsizeof(c) for c in out.channels)
    info = {"paths": out.n_paths, "touches": len(out.touches), "channels": out.n_channels}
else:
    size = int(out.memory_usage(deep=True).sum())
    info = {"rows": len(out)}
print(json.dumps({"peak": peak, "size": size, **info}))
"""


def make_files(folder: Path) -> dict[str, Path]:
    """The CSV of each generator (and a Parquet file of the same table), unless present."""
    sys.path.insert(0, str(HERE.parent / "markov"))
    sys.path.insert(0, str(HERE))
    from long_paths import make_long_paths
    from synthetic import make_paths

    makers = {
        "synthetic": lambda: make_paths(1_000_000, 12, seed=0),
        "long": lambda: make_long_paths(1_000_000, seed=1),
    }
    out = {}
    for label, make in makers.items():
        csv = folder / f"{label}.csv"
        parquet = folder / f"{label}.parquet"
        if not (csv.exists() and parquet.exists()):
            df = make()
            df.to_csv(csv, index=False)
            df.to_parquet(parquet, index=False)
        out[f"{label} csv"] = csv
        out[f"{label} parquet"] = parquet
    return out


def machine() -> dict:
    import numpy
    import pandas
    import pyarrow

    cpu = ""
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(line.split(":", 1)[1].strip() for line in fh if "model name" in line)
    except (OSError, StopIteration):
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30

    def shell(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, shell=True).stdout.strip()
        except OSError:
            return ""

    return {
        "nproc": shell("nproc"),
        "lscpu_head": shell("lscpu | head").splitlines(),
        "uptime": shell("uptime"),
        "commit": shell(f"git -C {HERE} rev-parse --short HEAD"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem, 1),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "pandas": pandas.__version__,
        "pyarrow": pyarrow.__version__,
        "load_average": os.getloadavg(),
    }


def contenders(path: Path) -> dict:
    import pandas as pd
    import pyarrow.compute as pac
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    import pathcredit as pc
    from pathcredit.journeys import io

    def batch_reader():
        """The batch-by-batch reader alone (the one before the fast reader, which now
        runs only when the fast one declines an input)."""
        io._FAST_READER = False
        try:
            return pc.read_paths(path)
        finally:
            io._FAST_READER = True

    def kernels(read):
        """The least any reader built on Arrow's kernels does: parse the file (with
        Arrow's threads), cut every path at the separator and number the channel names
        (``split_pattern`` + ``dictionary_encode``), nothing checked, nothing merged.
        ``read_paths`` does this and more, so its ratio to the parser cannot fall below
        this contender's."""

        def run():
            paths = read().column("path")
            return pac.dictionary_encode(pac.list_flatten(pac.split_pattern(paths, " > ")))

        return run

    if path.suffix == ".parquet":
        return {
            "pathcredit.read_paths": lambda: pc.read_paths(path),
            "read_paths batch reader": batch_reader,
            "pyarrow.parquet.read_table": lambda: pq.read_table(path),
            "Arrow kernels alone": kernels(lambda: pq.read_table(path)),
            "pandas.read_parquet": lambda: pd.read_parquet(path),
        }
    return {
        "pathcredit.read_paths": lambda: pc.read_paths(path),
        "read_paths batch reader": batch_reader,
        "pyarrow.csv.read_csv": lambda: pcsv.read_csv(path),
        "Arrow kernels alone": kernels(lambda: pcsv.read_csv(path)),
        "pandas.read_csv": lambda: pd.read_csv(path),
    }


def timings(files: dict[str, Path], repeats: int) -> dict:
    """Medians over ``repeats`` rounds; each round runs every contender on every file once."""
    runs = {(label, name): f for label, p in files.items() for name, f in contenders(p).items()}
    for f in runs.values():  # warm-up: imports, first-call set-up, page cache
        f()
    wall: dict = {k: [] for k in runs}
    cpu: dict = {k: [] for k in runs}
    for _ in range(repeats):
        for key, f in runs.items():  # interleaved
            t, c = time.perf_counter(), time.process_time()
            f()
            wall[key].append(time.perf_counter() - t)
            cpu[key].append(time.process_time() - c)
    out: dict = {}
    for label, name in runs:
        out.setdefault(label, {})[name] = {
            "wall": statistics.median(wall[label, name]),
            "cpu": statistics.median(cpu[label, name]),
            "wall_runs": wall[label, name],
        }
    for row in out.values():
        floor = next(v for k, v in row.items() if k.startswith("pyarrow"))
        for v in row.values():
            v["wall_vs_pyarrow"] = v["wall"] / floor["wall"]
            v["cpu_vs_pyarrow"] = v["cpu"] / floor["cpu"]
    return out


def memory(path: Path, runs: int) -> dict:
    tiny = Path(str(path) + ".tiny" + (".parquet" if path.suffix == ".parquet" else ".csv"))
    import pandas as pd

    pd.DataFrame(
        {
            "path": ["ch00 > ch01"],
            "total_conversions": [1.0],
            "total_conversion_value": [2.5],
            "total_null": [3.0],
        }
    ).pipe(lambda d: d.to_parquet(tiny) if tiny.suffix == ".parquet" else d.to_csv(tiny))
    out = {}
    for label, what in [("read_paths", "read_paths"), ("pandas", "pandas")]:
        rows = []
        for _ in range(runs):
            res = subprocess.run(
                [sys.executable, "-c", MEMORY_PROBE, what, str(path), ""],
                capture_output=True,
                text=True,
                check=True,
            )
            rows.append(json.loads(res.stdout))
        peaks = [r["peak"] for r in rows]
        out[label] = {
            "peak_mib_median": statistics.median(peaks) / 2**20,
            "peak_mib_max": max(peaks) / 2**20,
            "result_mib": rows[0]["size"] / 2**20,
            "ratio_median": statistics.median(peaks) / rows[0]["size"],
            "ratio_max": max(peaks) / rows[0]["size"],
            **{k: v for k, v in rows[0].items() if k not in ("peak", "size")},
        }
    return out


def summary_table(results: dict) -> str:
    """The README's table, from the results JSON (tests/journeys/test_io_benchmark.py checks
    that the README holds exactly this text for the committed results.json)."""
    lines = [
        "| file | read_paths s | batch reader s | pyarrow s | pandas s | wall / pyarrow "
        "| CPU / pyarrow | Arrow kernels alone / pyarrow (wall, CPU) | peak memory / result |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for label, row in results["speed"].items():
        ours = row["pathcredit.read_paths"]
        floor = next(v for k, v in row.items() if k.startswith("pyarrow"))
        pandas = next(v for k, v in row.items() if k.startswith("pandas"))
        mem = results["memory"][label]["read_paths"]
        alone = row.get("Arrow kernels alone")  # absent from results before it was added
        kernels = (
            "- "
            if alone is None
            else f"{alone['wall_vs_pyarrow']:.2f}, {alone['cpu_vs_pyarrow']:.2f} "
        )
        lines.append(
            f"| {label} | {ours['wall']:.3f} | {row['read_paths batch reader']['wall']:.3f} "
            f"| {floor['wall']:.3f} | {pandas['wall']:.3f} "
            f"| {ours['wall_vs_pyarrow']:.2f} | {ours['cpu_vs_pyarrow']:.2f} "
            f"| {kernels}| {mem['ratio_median']:.2f} |"
        )
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folder", type=Path, help="where the files are (or are written)")
    ap.add_argument("--repeats", type=int, default=15, help="interleaved timing rounds (>= 5)")
    ap.add_argument("--memory-runs", type=int, default=5, help="fresh interpreters per case")
    ap.add_argument("--json", type=Path, help="also write the results here")
    a = ap.parse_args()
    if a.repeats < 5:
        ap.error("--repeats must be at least 5")
    folder = a.folder or Path(tempfile.mkdtemp(prefix="bench-read-paths-"))
    folder.mkdir(parents=True, exist_ok=True)
    files = make_files(folder)
    for label, p in files.items():
        print(f"{label}: {p} ({p.stat().st_size / 1e6:.1f} MB)")
    info = machine()
    info["command"] = " ".join([Path(sys.executable).name, *sys.argv])
    print("machine:", json.dumps(info))
    speed = timings(files, a.repeats)
    print(f"\nmedians of {a.repeats} interleaved rounds")
    print(f"{'':18} {'':28} {'wall s':>8} {'cpu s':>8} {'wall/pyarrow':>13} {'cpu/pyarrow':>12}")
    for label, row in speed.items():
        for k, v in row.items():
            print(
                f"{label:18} {k:28} {v['wall']:8.3f} {v['cpu']:8.3f} "
                f"{v['wall_vs_pyarrow']:13.2f} {v['cpu_vs_pyarrow']:12.2f}"
            )
    mem = {label: memory(p, a.memory_runs) for label, p in files.items()}
    print(f"\npeak RSS above baseline, {a.memory_runs} fresh interpreters each")
    print(f"{'':18} {'':11} {'median MiB':>11} {'max MiB':>8} {'result MiB':>11} {'ratio':>6}")
    for label, row in mem.items():
        for k, v in row.items():
            print(
                f"{label:18} {k:11} {v['peak_mib_median']:11.1f} {v['peak_mib_max']:8.1f} "
                f"{v['result_mib']:11.1f} {v['ratio_median']:6.2f}"
            )
    info["uptime_end"] = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"\nuptime at the end: {info['uptime_end']}")
    results = {"machine": info, "speed": speed, "memory": mem}
    print("\n" + summary_table(results))
    if a.json:
        a.json.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
