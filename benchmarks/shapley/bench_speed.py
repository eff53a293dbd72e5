"""Speed and peak memory of response-model Shapley on realistic sizes (issue 9, point 6).

Four cases, each ``shapley(journeys, value_function)`` with default arguments
(``method="auto"``, ``max_exact_channels=20``):

- ``exact20``: 20 channels, 200,000 simulated journeys aggregated to 66,749
  distinct paths; every path's game is solved exactly.
- ``mixed50``: 50 channels, 280,000 journeys aggregated to 101,426 distinct
  paths (0.2% of the journeys are long, 25-60 touches): paths with at most 20
  distinct channels are solved exactly, the about 390 paths above are sampled
  (``extras["method"] == "exact+sampling"``).

each with ``value_function="conversion_rate"`` and ``"markov"``. Every run is a
fresh interpreter (``subprocess``): it builds the data (fixed seed), reads it with
``read_paths``, imports the Markov module, then times the one ``shapley`` call
(wall clock) and reports the process's peak resident memory (``ru_maxrss``) and its
resident memory just before the call. Runs are interleaved: repetition r runs every
case before repetition r + 1; the table gives medians.

``--src`` runs another copy of pathcredit's ``src`` (e.g. an older commit unpacked
with ``git archive``) for before/after numbers; ``--timeout`` kills a run.

Usage (see README.md)::

    .venv/bin/python benchmarks/shapley/bench_speed.py --repeats 3
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import textwrap
import time

CASES = {
    "exact20": {"journeys": 200_000, "channels": 20, "p": 0.3, "long_share": 0.0},
    "mixed50": {"journeys": 280_000, "channels": 50, "p": 0.35, "long_share": 0.002},
}
VALUE_FUNCTIONS = ("conversion_rate", "markov")

RUN = textwrap.dedent(
    """
    import json, resource, sys, time
    import numpy as np, pandas as pd

    def rss_mib():
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS"):
                    return int(line.split()[1]) / 1024

    def make_paths(n_journeys, n_channels, seed, p, long_share):
        rng = np.random.default_rng(seed)
        names = np.array([f"channel_{i:02d}" for i in range(n_channels)])
        lengths = np.minimum(rng.geometric(p, n_journeys), 20)
        long = rng.random(n_journeys) < long_share
        lengths[long] = rng.integers(25, 61, long.sum())
        pop = rng.dirichlet(np.ones(n_channels))
        touches = rng.choice(n_channels, size=int(lengths.sum()), p=pop)
        starts = np.r_[0, np.cumsum(lengths)[:-1]]
        paths = [" > ".join(names[touches[s : s + n]]) for s, n in zip(starts, lengths)]
        conv = rng.random(n_journeys) < 0.02 + 0.01 * np.minimum(lengths, 5)
        df = pd.DataFrame({"path": paths, "c": conv.astype(float), "n": (~conv).astype(float)})
        return df.groupby("path", sort=False).agg(
            total_conversions=("c", "sum"), total_null=("n", "sum")
        ).reset_index()

    case, vf = json.loads(sys.argv[1]), sys.argv[2]
    import pathcredit
    import pathcredit.models.markov  # imports outside the timed call
    from pathcredit.models.shapley import shapley
    j = pathcredit.read_paths(make_paths(case["journeys"], case["channels"], 2024,
                                         case["p"], case["long_share"]))
    before = rss_mib()
    t0, c0 = time.perf_counter(), time.process_time()
    r = shapley(j, vf)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({
        "seconds": seconds, "cpu_seconds": cpu,
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "before_mib": before, "paths": j.n_paths, "method": r.extras["method"],
        "sampled_paths": r.extras.get("sampled_paths", 0),
        "total": float(np.sum(r.conversions)),
        "conversions": [float(x) for x in r.conversions],
    }))
    """
)


def run(case: dict, vf: str, src: str | None, timeout: float):
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = src
    try:
        out = subprocess.run(
            [sys.executable, "-c", RUN, json.dumps(case), vf],
            capture_output=True, text=True, timeout=timeout, env=env, check=True,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=900.0)
    ap.add_argument("--src", default=None, help="a pathcredit src directory to run instead")
    ap.add_argument("--cases", nargs="*", default=list(CASES))
    ap.add_argument("--value-functions", nargs="*", default=list(VALUE_FUNCTIONS))
    ap.add_argument("--out", default=None, help="write the runs and medians as JSON here")
    ap.add_argument("--table", metavar="JSON", help="print the README table of an --out JSON")
    args = ap.parse_args(argv)
    if args.table:
        with open(args.table) as f:
            print(speed_table(json.load(f)))
        return
    uptime_before = _uptime()
    print(f"uptime before: {uptime_before}", flush=True)
    keys = [(c, vf) for c in args.cases for vf in args.value_functions]
    runs: dict = {k: [] for k in keys}
    timed_out = set()
    for rep in range(args.repeats):
        for c, vf in keys:
            if (c, vf) in timed_out:
                continue
            res = run(CASES[c], vf, args.src, args.timeout)
            if res is None:
                timed_out.add((c, vf))
                print(f"rep {rep} {c} {vf}: > {args.timeout:g} s (killed)", flush=True)
                continue
            runs[(c, vf)].append(res)
            print(
                f"rep {rep} {c} {vf}: {res['seconds']:.3f} s, peak {res['peak_mib']:.0f} MiB "
                f"(before the call {res['before_mib']:.0f} MiB), {res['paths']} paths, "
                f"{res['method']}, sampled paths {res['sampled_paths']}, "
                f"CPU {res['cpu_seconds']:.3f} s; "
                f"load average {os.getloadavg()[0]:.1f}",
                flush=True,
            )
    print()
    print(
        f"python {platform.python_version()}, {platform.machine()}, {_cpu()}, "
        f"{_mem_gib():.0f} GiB RAM; src={args.src or 'this checkout'}; repeats={args.repeats}"
    )
    print()
    uptime_after = _uptime()
    print(f"uptime after: {uptime_after}")
    print()
    print("| case | value function | distinct paths | method | median s (min-max) | runs "
          "| median CPU s | peak RSS MiB (median) | RSS before the call MiB |")  # fmt: skip
    print("|" + "---|" * 9)
    for c, vf in keys:
        rs = runs[(c, vf)]
        if not rs:
            print(f"| {c} | {vf} | | | > {args.timeout:g} (killed) | 0 | | |")
            continue
        ts = [r["seconds"] for r in rs]
        print(
            f"| {c} | {vf} | {rs[0]['paths']:,} | {rs[0]['method']} | "
            f"{statistics.median(ts):.3f} ({min(ts):.3f}-{max(ts):.3f}) | {len(rs)} | "
            f"{statistics.median(r['cpu_seconds'] for r in rs):.3f} | "
            f"{statistics.median(r['peak_mib'] for r in rs):.0f} | "
            f"{statistics.median(r['before_mib'] for r in rs):.0f} |"
        )
        # same data, same seed: every run must give the same credit
        first = rs[0]["conversions"]
        if any(r["conversions"] != first for r in rs[1:]):
            print(f"  WARNING: {c} {vf}: runs disagree")
    if args.out:
        out = {
            "meta": {
                "command": " ".join(["python", *sys.argv]),
                "machine": f"python {platform.python_version()}, {platform.machine()}, "
                f"{_cpu()}, {_mem_gib():.0f} GiB RAM",
                "commit": _commit(),
                "src": args.src or "this checkout",
                "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                "uptime_before": uptime_before,
                "uptime_after": uptime_after,
                "repeats": args.repeats,
            },
            "cases": [
                {
                    "case": c,
                    "value_function": vf,
                    "median_s": statistics.median(r["seconds"] for r in runs[(c, vf)])
                    if runs[(c, vf)] else None,
                    "median_cpu_s": statistics.median(r["cpu_seconds"] for r in runs[(c, vf)])
                    if runs[(c, vf)] else None,
                    "runs": [{k: v for k, v in r.items() if k != "conversions"}
                             for r in runs[(c, vf)]],
                    "conversions": runs[(c, vf)][0]["conversions"] if runs[(c, vf)] else None,
                }
                for c, vf in keys
            ],
        }  # fmt: skip
        with open(args.out, "w") as f:
            json.dump(out, f, indent=1)


def speed_table(result: dict) -> str:
    """The README table of a ``--out`` JSON (``tests/test_benchmark_tables.py`` checks it)."""
    lines = [
        "| case | value function | distinct paths | method | median wall s (min-max) | "
        "median CPU s (min-max) | runs | peak RSS MiB (median) |",
        "|" + "---|" * 8,
    ]
    for c in result["cases"]:
        rs = c["runs"]
        if not rs:
            continue
        wall = [r["seconds"] for r in rs]
        cpu = [r["cpu_seconds"] for r in rs]
        lines.append(
            f"| {c['case']} | {c['value_function']} | {rs[0]['paths']:,} | {rs[0]['method']} | "
            f"{statistics.median(wall):.2f} ({min(wall):.2f}-{max(wall):.2f}) | "
            f"{statistics.median(cpu):.2f} ({min(cpu):.2f}-{max(cpu):.2f}) | {len(rs)} | "
            f"{statistics.median(r['peak_mib'] for r in rs):.0f} |"
        )
    return "\n".join(lines)


def _uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "load average: " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def _commit() -> str:
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        sha = subprocess.run(["git", "-C", here, "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
        dirty = subprocess.run(["git", "-C", here, "status", "--porcelain", "--", "../../src"],
                               capture_output=True, text=True).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return sha + ("+dirty" if dirty else "")


def _cpu() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            model = next(line.split(":", 1)[1].strip() for line in f if "model name" in line)
    except (OSError, StopIteration):
        model = platform.processor() or "unknown CPU"
    return f"{model}, {os.cpu_count()} cores"


def _mem_gib() -> float:
    try:
        with open("/proc/meminfo") as f:
            return int(next(x for x in f if x.startswith("MemTotal")).split()[1]) / 2**20
    except (OSError, StopIteration):
        return float("nan")


if __name__ == "__main__":
    main()
