# ruff: noqa: E402
"""pathcredit's exact Markov attribution against ChannelAttribution, side by side.

Both tools get the same in-memory DataFrame (ChannelAttribution's aggregated
format). ChannelAttribution runs in its own virtual environment (it is a
benchmark-only, GPL-3 dependency) as a persistent worker process that loads the
frame once and times ``markov_model`` calls; pathcredit is timed in this
process from the DataFrame (``read_paths`` + ``attribute``). Runs are
interleaved (CA, pathcredit, alternating which goes first), repeated, and
summarised by medians. Peak memory is measured in fresh subprocesses: VmHWM
after resetting it (``/proc/self/clear_refs``) once the data are loaded, so
``*_delta_mib`` is the memory the model call itself added at its peak.
Errors are against pathcredit's exact solution, itself cross-checked with a
second solver (sparse LU vs the certified iterative solver).

With ``--e2e``, both tools start from the CSV file on disk instead, as users run
them: pathcredit ``read_paths(file)`` + ``attribute(..., model="markov")`` + the
JSON text of ``pathcredit attribute --format json``; ChannelAttribution
``pandas.read_csv(file)`` + ``markov_model`` + its result frame as JSON. Each runs
in a persistent worker process of its own environment (imports and first-call
costs excluded by a warm-up on a small file; the file read is included), and
pathcredit's time is split into read, model and JSON stages.

Usage::

    python benchmarks/markov/bench_markov.py --ca-python /tmp/cavenv/bin/python
    python benchmarks/markov/bench_markov.py --e2e --ca-python /tmp/cavenv/bin/python
"""

from __future__ import annotations

import os

# Single-threaded BLAS for a fair, quiet comparison on a shared 2-core machine:
# ChannelAttribution runs on one core (ncore=1) and multi-threaded OpenBLAS
# busy-waits under contention (a 150x150 inverse took 137 ms instead of 0.6 ms).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import GENERATORS, make_paths

import pathcredit as pc

CA_WORKER = r"""
import json, sys, time
import pandas as pd
import ChannelAttribution as ca
df = pd.read_csv(sys.argv[1])
print(json.dumps({"ready": True, "version": getattr(ca, "__version__", "?")}), flush=True)
for line in sys.stdin:
    order, seed = map(int, line.split())
    t = time.perf_counter()
    r = ca.markov_model(df, "path", "total_conversions", var_value="total_conversion_value",
                        var_null="total_null", order=order, seed=seed, flg_pro=False,
                        verbose=False)
    dt = time.perf_counter() - t
    print(json.dumps({"time": dt, "conv": dict(zip(r["channel_name"],
                      map(float, r["total_conversions"])))}), flush=True)
"""

# End to end: each worker reads the CSV file itself. Line protocol on stdin:
# "<csv path> <order> <seed>"; one JSON line back per call.
E2E_PC_WORKER = r"""
import json, sys, time
import pathcredit as pc

def run(path, order):
    c0, t0 = time.process_time(), time.perf_counter()
    j = pc.read_paths(path)
    t1 = time.perf_counter()
    r = pc.attribute(j, model="markov", order=order)
    t2 = time.perf_counter()
    text = json.dumps([r.to_dict()], indent=2, allow_nan=False)  # as the CLI writes it
    t3, c3 = time.perf_counter(), time.process_time()
    out = {"time": t3 - t0, "read": t1 - t0, "model": t2 - t1, "json": t3 - t2, "cpu": c3 - c0,
           "bytes": len(text), "conv": dict(zip(r.channels, r.conversions.tolist()))}
    if fingerprint is not None:  # diagnostic, outside the total: attribute() computes it
        t4 = time.perf_counter()
        fingerprint(j)
        out["fingerprint"] = time.perf_counter() - t4
    return out

try:
    from pathcredit.journeys._fingerprint import fingerprint
except ImportError:  # older pathcredit
    fingerprint = None

for order in (1, 2, 3, 4):  # lazy imports (pyarrow, pandas, scipy) and first calls
    run(sys.argv[1], order)
print(json.dumps({"ready": True, "version": pc.__version__}), flush=True)
for line in sys.stdin:
    path, order, seed = line.rsplit(None, 2)
    print(json.dumps(run(path, int(order))), flush=True)
"""

E2E_CA_WORKER = r"""
import json, sys, time
import pandas as pd
import ChannelAttribution as ca

def run(path, order, seed):
    c0, t0 = time.process_time(), time.perf_counter()
    df = pd.read_csv(path)
    t1 = time.perf_counter()
    r = ca.markov_model(df, "path", "total_conversions", var_value="total_conversion_value",
                        var_null="total_null", order=order, seed=seed, flg_pro=False,
                        verbose=False)
    t2 = time.perf_counter()
    text = r.to_json(orient="records")
    t3, c3 = time.perf_counter(), time.process_time()
    return {"time": t3 - t0, "read": t1 - t0, "model": t2 - t1, "json": t3 - t2, "cpu": c3 - c0,
            "bytes": len(text), "conv": dict(zip(r["channel_name"],
                                                 map(float, r["total_conversions"])))}

for order in (1, 2, 3, 4):
    run(sys.argv[1], order, 0)
from importlib.metadata import version
print(json.dumps({"ready": True, "version": version("channelattribution")}), flush=True)
for line in sys.stdin:
    path, order, seed = line.rsplit(None, 2)
    print(json.dumps(run(path, int(order), int(seed))), flush=True)
"""

_HWM = r"""
def _reset_peak():
    with open("/proc/self/clear_refs", "w") as f:  # resets VmHWM (Linux >= 4.0)
        f.write("5")

def _status(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1])
"""

MEM_PC = (
    _HWM
    + r"""
import sys, pandas as pd
df = pd.read_csv(sys.argv[1])
import pathcredit as pc
pc.attribute(pc.read_paths(df.head(50)), model="markov")
_reset_peak()
before = _status("VmRSS:")
r = pc.attribute(pc.read_paths(df), model="markov", order=int(sys.argv[2]))
print(before, _status("VmHWM:"))
"""
)

MEM_CA = (
    _HWM
    + r"""
import sys, pandas as pd
df = pd.read_csv(sys.argv[1])
import ChannelAttribution as ca
ca.markov_model(df.head(50), "path", "total_conversions", var_null="total_null",
                flg_pro=False, verbose=False)
_reset_peak()
before = _status("VmRSS:")
ca.markov_model(df, "path", "total_conversions", var_value="total_conversion_value",
                var_null="total_null", order=int(sys.argv[2]), seed=0, flg_pro=False,
                verbose=False)
print(before, _status("VmHWM:"))
"""
)


MEM_E2E_PC = (
    _HWM
    + r"""
import json, sys
import pathcredit as pc
pc.attribute(pc.read_paths(sys.argv[3]), model="markov")
_reset_peak()
before = _status("VmRSS:")
r = pc.attribute(pc.read_paths(sys.argv[1]), model="markov", order=int(sys.argv[2]))
text = json.dumps([r.to_dict()], indent=2, allow_nan=False)
print(before, _status("VmHWM:"))
"""
)

MEM_E2E_CA = (
    _HWM
    + r"""
import sys, pandas as pd
import ChannelAttribution as ca
ca.markov_model(pd.read_csv(sys.argv[3]), "path", "total_conversions",
                var_null="total_null", flg_pro=False, verbose=False)
_reset_peak()
before = _status("VmRSS:")
r = ca.markov_model(pd.read_csv(sys.argv[1]), "path", "total_conversions",
                    var_value="total_conversion_value", var_null="total_null",
                    order=int(sys.argv[2]), seed=0, flg_pro=False, verbose=False)
text = r.to_json(orient="records")
print(before, _status("VmHWM:"))
"""
)


class CAWorker:
    def __init__(self, python: str, csv: str, script: str = CA_WORKER, env=None):
        self.proc = subprocess.Popen(
            [python, "-c", script, csv],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        while True:  # skip CA's import banner
            line = self.proc.stdout.readline()
            if line.startswith("{"):
                self.version = json.loads(line)["version"]
                break
            if not line:
                raise RuntimeError("ChannelAttribution worker failed to start")

    def run(self, order: int, seed: int, path: str | None = None) -> dict:
        self.proc.stdin.write(f"{order} {seed}\n" if path is None else f"{path} {order} {seed}\n")
        self.proc.stdin.flush()
        while True:
            line = self.proc.stdout.readline()
            if line.startswith("{"):
                return json.loads(line)
            if not line:
                raise RuntimeError(f"benchmark worker {self.proc.args[0]} died")

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def run_pathcredit(df: pd.DataFrame, order: int):
    t0 = time.perf_counter()
    j = pc.read_paths(df)
    t1 = time.perf_counter()
    r = pc.attribute(j, model="markov", order=order)
    t2 = time.perf_counter()
    return t2 - t0, t2 - t1, r, j


def peak_memory(python: str, script: str, csv: str, order: int, *extra: str) -> float:
    out = subprocess.run(
        [python, "-c", script, csv, str(order), *extra],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    before, after = int(out[-2]), int(out[-1])
    return after / 1024, (after - before) / 1024  # MiB (/proc/self/status is in kB)


def share_errors(credit: dict, exact: dict, total: float):
    chans = sorted(exact)
    a = np.array([credit.get(c, 0.0) for c in chans]) / total
    b = np.array([exact[c] for c in chans]) / total
    big = b >= 0.01
    rel = float((np.abs(a - b)[big] / b[big]).max()) if big.any() else float("nan")
    return float(np.abs(a - b).max()), float(0.5 * np.abs(a - b).sum()), rel


def accuracy(j, result, order, ca_results) -> dict:
    """Errors of ChannelAttribution against the exact solution, and checks of the latter."""
    exact = dict(zip(result.channels, result.conversions.tolist(), strict=True))
    chain = result.extras["chain"]
    # cross-check the exact solution with a second solver
    other = "direct" if chain.solver == "iterative" and chain.n_states <= 3000 else None
    if chain.solver in ("dense", "direct"):
        other = "iterative"
    if other:
        r2 = pc.attribute(j, model="markov", order=order, solver=other, states=False)
        cross = float(np.abs(r2.conversions - result.conversions).max())
    else:
        cross = float("nan")
    ca_err = [share_errors(c, exact, j.total_conversions) for c in ca_results]
    return dict(
        ca_max_share_err=max(e[0] for e in ca_err),
        ca_tv=statistics.median(e[1] for e in ca_err),
        ca_max_rel_err=max(e[2] for e in ca_err),
        pc_cross_check=cross,
        pc_error_bound=chain.error_bound,
        pc_rate_check=abs(
            result.extras["conversion_probability"]
            - j.total_conversions / (j.total_conversions + j.total_nulls)
        ),
    )


def bench_e2e(name, df, orders, repeats, ca_python, tmp, memory=True, baseline=None):
    """From the CSV file on disk to the JSON text, each tool in its own persistent worker.

    ``baseline``: a ``src`` directory of another pathcredit checkout, run as a third
    worker in the same rotation (``base_*`` columns), for before/after comparisons
    that see the same machine load.
    """
    csv = os.path.join(tmp, f"{name.replace(' ', '_')}.csv")
    if df is not None:
        df.to_csv(csv, index=False)
    else:  # written by an earlier run (--data-dir)
        df = pd.read_csv(csv)
    warm = os.path.join(tmp, f"{name.replace(' ', '_')}-warmup.csv")
    df.head(200).to_csv(warm, index=False)
    size_mb = os.path.getsize(csv) / 1e6
    workers = {
        "ca": CAWorker(ca_python, warm, E2E_CA_WORKER),
        "pc": CAWorker(sys.executable, warm, E2E_PC_WORKER),
    }
    if baseline:
        env = dict(os.environ, PYTHONPATH=str(Path(baseline).resolve()))
        workers["base"] = CAWorker(sys.executable, warm, E2E_PC_WORKER, env=env)
    j = pc.read_paths(csv)
    print(
        f"\n## {name}, end to end from a {size_mb:.1f} MB CSV file: {j.n_paths} distinct "
        f"paths, {j.n_channels} channels, {int(j.total_conversions + j.total_nulls)} journeys",
        flush=True,
    )
    names = list(workers)
    rows = []
    for order in orders:
        runs = {tool: [] for tool in names}
        for rep in range(repeats):
            # rotate which tool goes first; each sees the same load on average
            tools = names[rep % len(names) :] + names[: rep % len(names)]
            for tool in tools:
                runs[tool].append(workers[tool].run(order, rep, path=csv))
            line = "  ".join(
                f"{t} {runs[t][-1]['time']:.3f}s cpu {runs[t][-1]['cpu']:.3f}s "
                f"(read {runs[t][-1]['read']:.3f} "
                f"model {runs[t][-1]['model']:.3f} json {runs[t][-1]['json']:.4f})"
                for t in names
            )
            print(f"  order {order} rep {rep} ({tools[0]} first): {line}", flush=True)

        def med(tool, key, runs=runs):
            return statistics.median(r[key] for r in runs[tool])

        def paired(a, b, runs=runs):
            return [x["time"] / y["time"] for x, y in zip(runs[a], runs[b], strict=True)]

        result = pc.attribute(j, model="markov", order=order)
        # the worker's credits are the exact solution computed here
        worker_conv = np.array([runs["pc"][0]["conv"][c] for c in result.channels])
        assert np.array_equal(worker_conv, result.conversions), "worker result differs"
        row = dict(
            set=name,
            order=order,
            states=result.extras["chain"].n_states,
            solver=result.extras["chain"].solver,
            ca_median_s=med("ca", "time"),
            pc_median_s=med("pc", "time"),
            ratio=med("ca", "time") / med("pc", "time"),
            # ratios within each repeat: robust to load that drifts between repeats
            ratio_paired_median=statistics.median(paired("ca", "pc")),
            ratio_min=min(paired("ca", "pc")),
            # CPU seconds of each worker process (all its threads): the work done, which
            # a loaded machine's scheduling does not inflate as it does wall time
            ca_cpu_median_s=med("ca", "cpu"),
            pc_cpu_median_s=med("pc", "cpu"),
            ratio_cpu=med("ca", "cpu") / med("pc", "cpu"),
            ca_read_s=med("ca", "read"),
            ca_model_s=med("ca", "model"),
            pc_read_s=med("pc", "read"),
            pc_model_s=med("pc", "model"),
            pc_json_s=med("pc", "json"),
            # part of pc_model_s: the input fingerprint attribute() adds to every result
            pc_fingerprint_s=med("pc", "fingerprint") if "fingerprint" in runs["pc"][0] else None,
        )
        if baseline:
            row.update(
                base_median_s=med("base", "time"),
                base_read_s=med("base", "read"),
                base_model_s=med("base", "model"),
                base_ratio=med("ca", "time") / med("base", "time"),
                speedup_vs_base=statistics.median(paired("base", "pc")),
            )
        row.update(
            **accuracy(j, result, order, [r["conv"] for r in runs["ca"]]),
            runs=repeats,
            **{f"{t}_runs_s": [round(r["time"], 4) for r in runs[t]] for t in names},
        )
        if memory:
            row["pc_peak_mib"], row["pc_delta_mib"] = peak_memory(
                sys.executable, MEM_E2E_PC, csv, order, warm
            )
            row["ca_peak_mib"], row["ca_delta_mib"] = peak_memory(
                ca_python, MEM_E2E_CA, csv, order, warm
            )
        rows.append(row)
        print("  ", json.dumps(row), flush=True)
    for w in workers.values():
        w.close()
    return rows, workers["ca"].version


def bench_set(name, df, orders, repeats, ca_python, tmp, memory=True):
    csv = os.path.join(tmp, f"{name}.csv")
    df.to_csv(csv, index=False)
    worker = CAWorker(ca_python, csv)
    rows = []
    j = pc.read_paths(df)
    print(
        f"\n## {name}: {j.n_paths} distinct paths, {j.n_channels} channels, "
        f"{int(j.total_conversions + j.total_nulls)} journeys",
        flush=True,
    )
    run_pathcredit(df.head(100), 1)  # warm up lazy imports
    for order in orders:
        ca_times, pc_times, pc_model_times, ca_results = [], [], [], []
        result = None
        for rep in range(repeats):
            first_ca = rep % 2 == 0
            for tool in ("ca", "pc") if first_ca else ("pc", "ca"):
                if tool == "ca":
                    out = worker.run(order, rep)
                    ca_times.append(out["time"])
                    ca_results.append(out["conv"])
                else:
                    total, model, result, _ = run_pathcredit(df, order)
                    pc_times.append(total)
                    pc_model_times.append(model)
            print(
                f"  order {order} rep {rep}: CA {ca_times[-1]:.3f}s  pathcredit "
                f"{pc_times[-1]:.3f}s",
                flush=True,
            )
        row = dict(
            set=name,
            order=order,
            states=result.extras["chain"].n_states,
            solver=result.extras["chain"].solver,
            ca_median_s=statistics.median(ca_times),
            pc_median_s=statistics.median(pc_times),
            pc_model_median_s=statistics.median(pc_model_times),
            ratio=statistics.median(ca_times) / statistics.median(pc_times),
            **accuracy(j, result, order, ca_results),
            runs=repeats,
        )
        if memory:
            row["pc_peak_mib"], row["pc_delta_mib"] = peak_memory(
                sys.executable, MEM_PC, csv, order
            )
            row["ca_peak_mib"], row["ca_delta_mib"] = peak_memory(ca_python, MEM_CA, csv, order)
        rows.append(row)
        print("  ", json.dumps(row), flush=True)
    worker.close()
    return rows, worker.version


def _uptime() -> str:
    """``uptime``'s line (the load averages over 1, 5 and 15 minutes)."""
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "load average: " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def _commit() -> str:
    """The git commit of the pathcredit measured (with ``+dirty`` for local changes)."""
    here = Path(pc.__file__).resolve().parent
    try:
        sha = subprocess.run(["git", "-C", str(here), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
        dirty = subprocess.run(["git", "-C", str(here), "status", "--porcelain", "--", "."],
                               capture_output=True, text=True).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return sha + ("+dirty" if dirty else "")


def e2e_table(result: dict) -> str:
    """The README table of an ``--e2e`` JSON (``tests/test_benchmark_tables.py`` checks it)."""
    head = (
        "| generator | order | states | CA s | pathcredit s | ratio | paired ratio | "
        "worst repeat | CA CPU s | pathcredit CPU s | CPU ratio | pc read | pc model | "
        "pc json | CA read | CA model |"
    )
    lines = [head, "|" + "---|" * 16]
    for r in result["rows"]:
        lines.append(
            f"| {r['set']} | {r['order']} | {r['states']:,} | {r['ca_median_s']:.3f} | "
            f"{r['pc_median_s']:.3f} | **{r['ratio']:.2f}** | {r['ratio_paired_median']:.2f} | "
            f"{r['ratio_min']:.2f} | {r['ca_cpu_median_s']:.3f} | {r['pc_cpu_median_s']:.3f} | "
            f"**{r['ratio_cpu']:.2f}** | {r['pc_read_s']:.3f} | {r['pc_model_s']:.3f} | "
            f"{r['pc_json_s']:.4f} | {r['ca_read_s']:.3f} | {r['ca_model_s']:.3f} |"
        )
    return "\n".join(lines)


def markdown(rows) -> str:
    cols = [c for c, v in rows[0].items() if not isinstance(v, list)]

    def fmt(v):
        if isinstance(v, float):
            return "nan" if v != v else f"{v:.4g}"
        return "" if v is None else str(v)

    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(fmt(r.get(c)) for c in cols) + " |" for r in rows]
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ca-python", default="/tmp/cavenv/bin/python")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--journeys", type=int, default=1_000_000)
    ap.add_argument("--orders", type=int, nargs="+", default=[1, 2, 3, 4])
    ap.add_argument("--orders50", type=int, nargs="*", default=[1, 2, 3])
    ap.add_argument("--no-memory", action="store_true")
    ap.add_argument(
        "--e2e",
        action="store_true",
        help="end to end from the CSV file (--generators, --orders; --orders50 ignored)",
    )
    ap.add_argument(
        "--baseline",
        metavar="SRC",
        help="with --e2e: also time the pathcredit found in this src directory "
        "(e.g. an export of an older commit) in the same rotation",
    )
    ap.add_argument(
        "--generators",
        nargs="+",
        default=["sticky12"],
        choices=sorted(GENERATORS),
        help="with --e2e: the data sets (benchmarks/markov/synthetic.py GENERATORS), each "
        "written to its own CSV file and run at every order",
    )
    ap.add_argument("--out", default=None, help="write the rows as JSON here")
    ap.add_argument(
        "--data-dir",
        help="with --e2e: keep the generated CSV files here and reuse them on the next run "
        "(same --journeys assumed)",
    )
    ap.add_argument("--table", metavar="JSON", help="print the README table of an --e2e JSON")
    args = ap.parse_args(argv)
    if args.table:
        print(e2e_table(json.loads(Path(args.table).read_text())))
        return

    import pyarrow
    import scipy

    machine = (
        f"{platform.platform()}, {os.cpu_count()} cores, python "
        f"{platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, "
        f"pyarrow {pyarrow.__version__}, pandas {pd.__version__}, pathcredit {pc.__version__}"
    )
    print(f"machine: {machine}\npathcredit imported from {pc.__file__}", flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        if args.e2e:
            load_before = _uptime()
            print(f"uptime before: {load_before}", flush=True)
            rows = []
            where = args.data_dir or tmp
            for gen in args.generators:
                func, kwargs = GENERATORS[gen]
                t = time.perf_counter()
                cached = os.path.join(where, f"{gen}.csv")
                if args.data_dir and os.path.exists(cached):
                    df = None
                    print(f"{gen}: reusing {cached}")
                else:
                    df = func(args.journeys, **kwargs)
                    print(f"generated {gen}: {len(df)} paths in {time.perf_counter() - t:.1f} s")
                r, version = bench_e2e(
                    gen,
                    df,
                    args.orders,
                    args.repeats,
                    args.ca_python,
                    where,
                    memory=not args.no_memory,
                    baseline=args.baseline,
                )
                rows += r
                del df
            load_after = _uptime()
            print(f"uptime after: {load_after}")
            print(f"ChannelAttribution {version}\n\n{markdown(rows)}", flush=True)
            if args.out:
                meta = dict(
                    machine=machine,
                    pathcredit=pc.__file__,
                    commit=_commit(),
                    command=" ".join(["python", *sys.argv]),
                    channelattribution=version,
                    baseline=args.baseline,
                    date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                    uptime_before=load_before,
                    uptime_after=load_after,
                    blas_threads=os.environ.get("OPENBLAS_NUM_THREADS"),
                )
                Path(args.out).write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))
            return
        df12 = make_paths(args.journeys, 12, seed=0)
        r, version = bench_set(
            "12 channels",
            df12,
            args.orders,
            args.repeats,
            args.ca_python,
            tmp,
            memory=not args.no_memory,
        )
        rows += r
        print(f"ChannelAttribution {version}", flush=True)
        if args.orders50:
            df50 = make_paths(args.journeys, 50, seed=1)
            r, _ = bench_set(
                "50 channels",
                df50,
                args.orders50,
                args.repeats,
                args.ca_python,
                tmp,
                memory=not args.no_memory,
            )
            rows += r
    print()
    print(markdown(rows))
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
