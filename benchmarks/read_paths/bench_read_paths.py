"""Speed and peak memory of ``pathcredit.read_paths`` on the 1,000,000-journey path file.

Writes the seeded file of ``benchmarks/markov/synthetic.py`` (about 170,000 distinct paths,
10.7 MB of CSV) unless ``--csv`` names one, then

* times ``read_paths`` (file on disk -> Journeys) against ``pandas.read_csv`` and
  ``pyarrow.csv.read_csv`` (parsing only, the floor) on the same file: medians of
  interleaved runs, wall and CPU time (CPU time of the process, all threads; the machine
  is shared, so wall time varies with other people's load, CPU time much less);
* measures peak memory of ``read_paths`` in fresh interpreters: peak RSS (``VmHWM``, reset
  through ``/proc/self/clear_refs``) above the RSS after imports and a warm-up on a tiny
  file, against the bytes of the returned arrays (touches, offsets, counts) and channel
  names. The issue asks for at most 2x.

    .venv/bin/python benchmarks/read_paths/bench_read_paths.py [--repeats 7] [--memory-runs 5]
    .venv/bin/python benchmarks/read_paths/bench_read_paths.py --old-src /tmp/old/src  # a
        # checkout of an older pathcredit (git archive <commit> | tar -x -C /tmp/old) as well
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
tiny = path + ".tiny.csv"
run = {"read_paths": pc.read_paths, "pandas": pandas.read_csv}[what]
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


def make_file(folder: Path) -> Path:
    sys.path.insert(0, str(HERE.parent / "markov"))
    from synthetic import make_paths

    df = make_paths(1_000_000, 12, seed=0)
    path = folder / "paths_1m.csv"
    df.to_csv(path, index=False)
    return path


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
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem, 1),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "pandas": pandas.__version__,
        "pyarrow": pyarrow.__version__,
        "load_average": os.getloadavg(),
    }


def timings(path: Path, repeats: int, old_src: str | None) -> dict:
    import pandas as pd
    import pyarrow.csv as pcsv

    import pathcredit as pc

    contenders = {
        "pathcredit.read_paths": lambda: pc.read_paths(path),
        "pandas.read_csv": lambda: pd.read_csv(path),
        "pyarrow.csv.read_csv": lambda: pcsv.read_csv(path),
    }
    old = None
    if old_src:
        old = subprocess.Popen(
            [sys.executable, "-c", OLD_TIMER, old_src, str(path), str(repeats)],
            stdout=subprocess.PIPE,
            text=True,
        )
        old_result = json.loads(old.communicate()[0])
    for f in contenders.values():  # warm-up: imports, first-call set-up, page cache
        f()
    wall = {k: [] for k in contenders}
    cpu = {k: [] for k in contenders}
    for _ in range(repeats):
        for name, f in contenders.items():  # interleaved
            t, c = time.perf_counter(), time.process_time()
            f()
            wall[name].append(time.perf_counter() - t)
            cpu[name].append(time.process_time() - c)
    out = {k: {"wall": statistics.median(wall[k]), "cpu": statistics.median(cpu[k])} for k in wall}
    if old is not None:
        out["read_paths (old)"] = old_result
    return out


OLD_TIMER = r"""
import json, statistics, sys, time
sys.path.insert(0, sys.argv[1])
import pathcredit as pc
assert pc.__file__.startswith(sys.argv[1]), pc.__file__
path, repeats = sys.argv[2], int(sys.argv[3])
pc.read_paths(path)
wall, cpu = [], []
for _ in range(repeats):
    t, c = time.perf_counter(), time.process_time()
    pc.read_paths(path)
    wall.append(time.perf_counter() - t)
    cpu.append(time.process_time() - c)
print(json.dumps({"wall": statistics.median(wall), "cpu": statistics.median(cpu)}))
"""


def memory(path: Path, runs: int, old_src: str | None) -> dict:
    tiny = Path(str(path) + ".tiny.csv")
    tiny.write_text(
        "path,total_conversions,total_conversion_value,total_null\nch00 > ch01,1,2.5,3\n"
    )
    out = {}
    variants = [("read_paths", "read_paths", ""), ("pandas.read_csv", "pandas", "")]
    if old_src:
        variants.append(("read_paths (old)", "read_paths", old_src))
    for label, what, extra in variants:
        rows = []
        for _ in range(runs):
            res = subprocess.run(
                [sys.executable, "-c", MEMORY_PROBE, what, str(path), extra],
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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--csv", type=Path, help="an existing path file (default: generate one)")
    ap.add_argument("--repeats", type=int, default=7, help="interleaved timing runs (>= 5)")
    ap.add_argument("--memory-runs", type=int, default=5, help="fresh interpreters per variant")
    ap.add_argument("--old-src", help="src/ folder of an older pathcredit to time as well")
    ap.add_argument("--json", type=Path, help="also write the results here")
    a = ap.parse_args()
    if a.repeats < 5:
        ap.error("--repeats must be at least 5")
    folder = Path(tempfile.mkdtemp(prefix="bench-read-paths-"))
    path = a.csv or make_file(folder)
    print(f"file: {path} ({path.stat().st_size / 1e6:.1f} MB)")
    info = machine()
    print("machine:", json.dumps(info))
    speed = timings(path, a.repeats, a.old_src)
    floor = speed["pyarrow.csv.read_csv"]
    print(f"\nmedians of {a.repeats} interleaved runs")
    print(f"{'':26} {'wall s':>8} {'cpu s':>8} {'wall / pyarrow':>15}")
    for k, v in speed.items():
        print(f"{k:26} {v['wall']:8.3f} {v['cpu']:8.3f} {v['wall'] / floor['wall']:15.1f}")
    mem = memory(path, a.memory_runs, a.old_src)
    print(f"\npeak RSS above baseline, {a.memory_runs} fresh interpreters each")
    print(f"{'':20} {'median MiB':>11} {'max MiB':>8} {'result MiB':>11} {'ratio':>6} {'max':>6}")
    for k, v in mem.items():
        print(
            f"{k:20} {v['peak_mib_median']:11.1f} {v['peak_mib_max']:8.1f} "
            f"{v['result_mib']:11.1f} {v['ratio_median']:6.2f} {v['ratio_max']:6.2f}"
        )
    print(f"\nload average at the end: {os.getloadavg()}")
    if a.json:
        a.json.write_text(json.dumps({"machine": info, "speed": speed, "memory": mem}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
