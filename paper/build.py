"""Build the pathcredit paper from the committed benchmark outputs.

    .venv/bin/python paper/build.py                 # tables, figures, paper.md
    .venv/bin/python paper/build.py --html          # ... and paper.html (pandoc --citeproc)
    .venv/bin/python paper/build.py --check         # exit 1 if paper.md or a table is stale
    .venv/bin/python paper/build.py --rerun quick   # rerun cheap benchmarks, build in paper/rerun/

Every number in ``paper.md`` comes from ``paper.template.md`` with its placeholders
filled from the benchmark outputs committed under ``benchmarks/`` (and, for two
small tables, from pathcredit itself on data committed in the repository):

* ``{{value:NAME}}`` -> one formatted number or phrase (:func:`compute`);
* ``{{table:NAME}}`` -> a Markdown table, also written to ``tables/NAME.md``;
* figures are written to ``figures/NAME.png`` and ``.svg`` and referenced from the
  template by path.

The output is deterministic: the same inputs give the same bytes (SVG ids are
salted with a fixed string, no dates or software versions in the image metadata).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pathcredit.benchmark import default_models

PAPER = Path(__file__).resolve().parent
ROOT = PAPER.parent
BENCH = ROOT / "benchmarks"
CA_DATA = ROOT / "tests" / "data" / "channelattribution"
#: Calibration worlds whose data come from a Markov chain (the model's own assumption).
MATCHED_WORLDS = ("simulate", "own")
#: Channels with at least this share of conversions count as "big" in the CA comparison.
CA_BIG_SHARE = 0.01
PLACEHOLDER = re.compile(r"\{\{(value|table):([a-z0-9_]+)\}\}")
#: The headline share error (total variation distance: the share of credit put on the
#: wrong channels) and the secondary one (mean absolute error per channel); the same pair
#: as ``pathcredit.benchmark.HEADLINE_METRIC`` / ``SECONDARY_METRIC``, the demo and the
#: README, so a model's error reads the same everywhere.
ERR = "tv_distance"
MAE = "share_mae"

#: Display names of the benchmark grid's model settings (the grid's own names otherwise).
SHORT = {
    "shapley": "shapley (zhao)",
    "shapley(value_function='conversion_rate')": "shapley (conversion rate)",
    "shapley(baseline='holdout', value_function='conversion_rate')": (
        "shapley (conversion rate, holdout baseline)"
    ),
    "shapley(value_function='markov')": "shapley (markov game)",
    "markov": "markov (order 1)",
    "markov(order=2)": "markov (order 2)",
    "markov(order=3)": "markov (order 3)",
}
#: Models shown in the paper's compact tables (all models are in tables/grid_*_full.md).
#: Any model the results hold beyond the registry's grid is added automatically.
PAPER_MODELS = [
    "last_touch",
    "first_touch",
    "last_non_direct",
    "linear",
    "position_based",
    "time_decay",
    "markov",
    "markov(order=3)",
    "bayesian_markov",
    "shapley",
    "shapley(value_function='conversion_rate')",
    "shapley(baseline='holdout', value_function='conversion_rate')",
    "shapley(value_function='markov')",
    "shao_li",
    "bayesian_markov(order=2)",
]
#: The settings of the registry's grid, which the full tables hold; a model the results
#: hold beyond them (an opt-in model's grid) is added to the compact tables after PAPER_MODELS.
KNOWN_GRID_MODELS = set(PAPER_MODELS) | {e.label for e in default_models(bootstrap=0)}
#: Models drawn in the convergence figure, and the worlds of the convergence table.
CONVERGENCE_MODELS = [
    "last_touch",
    "linear",
    "markov",
    "shapley(baseline='holdout', value_function='conversion_rate')",
    "bayesian_markov",
]
CONVERGENCE_WORLDS = ["markov", "additive", "confounded"]


def short(model: str) -> str:
    return SHORT.get(model, model)


# ----------------------------------------------------------------------------- formatting
def f_num(x: float, digits: int = 3) -> str:
    """Fixed decimals; '-' for a missing number."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:.{digits}f}"


def f_int(x: float) -> str:
    return f"{int(round(x)):,}"


def f_ratio(x: float) -> str:
    """A speed ratio: 4.8x (one decimal below 100, none above)."""
    return f"{x:.1f}x" if x < 100 else f"{x:,.0f}x"


def f_pct(x: float, digits: int = 1) -> str:
    """A fraction as a percentage: 0.897 -> 89.7%."""
    return f"{100 * x:.{digits}f}%"


def f_sec(x: float) -> str:
    """Seconds with three significant figures."""
    if x >= 100:
        return f"{x:,.0f} s"
    if x >= 10:
        return f"{x:.1f} s"
    if x >= 1:
        return f"{x:.2f} s"
    return f"{x:.3g} s"


def f_list(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'; 'no model' when empty."""
    items = list(items)
    if not items:
        return "no model"
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def md_table(header: list[str], rows: list[list[str]], align: list[str] | None = None) -> str:
    """A GitHub/pandoc pipe table; ``align`` holds 'l' or 'r' per column."""
    align = align or ["l"] + ["r"] * (len(header) - 1)
    sep = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(sep) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- sources
@dataclass
class Sources:
    """Everything the paper reads, loaded once."""

    bench: Path
    e2e: dict = field(default_factory=dict)
    shapley_rows: list[dict] = field(default_factory=list)
    shapley_header: str = ""
    agg: Any = None  # pandas DataFrame of benchmarks/attribution/results/aggregated.csv
    grid_rows: int = 0
    run: dict = field(default_factory=dict)
    speed: dict = field(default_factory=dict)
    speed_order3: dict = field(default_factory=dict)
    calibration: list[tuple[str, dict]] = field(default_factory=list)
    response: list[tuple[str, dict]] = field(default_factory=list)
    response_grid: Any = None  # aggregated.csv of the separate bayesian_response grid
    response_run: dict = field(default_factory=dict)
    response_speed: dict = field(default_factory=dict)


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def parse_shapley_table(text: str) -> tuple[str, list[dict]]:
    """The first Markdown table of ``bench_shapley.py``'s output (README or stdout).

    Returns the line above the table's header that names the environment (may be
    empty) and one dict per row with the cells as text.
    """
    lines = text.splitlines()
    head = next(
        (i for i, ln in enumerate(lines) if ln.startswith("| channels | distinct paths |")), None
    )
    if head is None:
        raise SystemExit("no '| channels | distinct paths |' table in the Shapley benchmark output")
    keys = [c.strip() for c in lines[head].strip("|").split("|")]
    rows = []
    for ln in lines[head + 2 :]:
        if not ln.startswith("|"):
            break
        cells = [c.strip() for c in ln.strip().strip("|").split("|")]
        rows.append(dict(zip(keys, cells, strict=True)))
    env = next((ln.strip() for ln in lines if ln.startswith("python ") and "repeats=" in ln), "")
    return env, rows


def _tracked(folder: Path) -> set[str] | None:
    """Names of the files git tracks in ``folder`` (None outside a git checkout).

    Globbed inputs are limited to tracked files, so a colleague's uncommitted
    result never enters the paper (CI builds from a fresh clone).
    """
    try:
        out = subprocess.run(
            ["git", "ls-files", "--", "."],
            cwd=folder,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return {Path(line).name for line in out.splitlines() if "/" not in line}


def _dirty_inputs() -> list[str]:
    """``git status`` lines of the inputs the paper reads (modified or untracked)."""
    paths = ["benchmarks", "tests/data/channelattribution", "paper/paper.template.md"]
    try:
        out = subprocess.run(
            ["git", "status", "--porcelain", "--", *paths],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return []
    keep = (".json", ".csv", ".parquet", ".md")
    return [ln for ln in out.splitlines() if ln.rstrip().endswith(keep)]


def load_sources(bench: Path = BENCH, overlay: Path | None = None) -> Sources:
    """Read the committed benchmark outputs (files under ``overlay`` win when present)."""
    import pandas as pd

    def pick(rel: str) -> Path:
        if overlay is not None and (overlay / rel).exists():
            return overlay / rel
        return bench / rel

    s = Sources(bench=bench)
    s.e2e = _read_json(pick("markov/results_e2e.json"))
    shapley_out = pick("shapley/bench_shapley.out")
    text = (
        shapley_out.read_text(encoding="utf-8")
        if shapley_out.exists()
        else (bench / "shapley" / "README.md").read_text(encoding="utf-8")
    )
    s.shapley_header, s.shapley_rows = parse_shapley_table(text)
    results = pick("attribution/results/aggregated.csv")
    s.agg = pd.read_csv(results, keep_default_na=False, na_values=[""])
    s.agg["truth"] = s.agg["truth"].fillna("")
    s.run = _read_json(pick("attribution/results/run.json"))
    s.grid_rows = len(
        pd.read_parquet(pick("attribution/results/results.parquet"), columns=["value"])
    )
    s.speed = _read_json(pick("bayesian/speed.json"))
    s.speed_order3 = _read_json(pick("bayesian/speed_order3.json"))
    rg = pick("attribution/results_response/aggregated.csv")
    rg_tracked = _tracked(bench / "attribution" / "results_response")
    if rg.exists() and (rg.parent != bench / "attribution/results_response" or rg_tracked is None
                        or "aggregated.csv" in rg_tracked):  # fmt: skip
        s.response_grid = pd.read_csv(rg, keep_default_na=False, na_values=[""])
        run = rg.parent / "run.json"
        s.response_run = _read_json(run) if run.exists() else {}
    tracked = _tracked(bench / "bayesian")
    names = {
        p.name for p in (bench / "bayesian").glob("*.json") if tracked is None or p.name in tracked
    }
    if overlay is not None:
        names |= {p.name for p in (overlay / "bayesian").glob("*.json")}
    names = sorted(names)
    if "speed_response.json" in names:
        s.response_speed = _read_json(pick("bayesian/speed_response.json"))
    for name in names:
        if name.startswith("calibration_response"):
            s.response.append((name, _read_json(pick(f"bayesian/{name}"))))
        elif name.startswith("calibration_"):
            s.calibration.append((name, _read_json(pick(f"bayesian/{name}"))))
    return s


# ----------------------------------------------------------------------------- computations
def ca_exactness() -> dict[int, list[dict]]:
    """ChannelAttribution's recorded credits on its own example data vs the exact ones.

    Per order, one row per channel: exact credited conversions (pathcredit), CA's
    (``markov_order{k}_expected.json``, recorded from channelattribution 2.2.5, seed 0).
    """
    import pathcredit as pc
    from pathcredit.models.markov import markov

    j = pc.read_paths(CA_DATA / "Data.csv")
    out = {}
    for order in (1, 2, 3):
        rec = _read_json(CA_DATA / f"markov_order{order}_expected.json")
        ca = {r["channel_name"]: r["total_conversions"] for r in rec["rows"]}
        r = markov(j, order=order)
        rows = []
        total = float(sum(r.conversions))
        for c, x in zip(r.channels, r.conversions, strict=True):
            rows.append({"channel": c, "exact": float(x), "ca": ca[c], "share": float(x) / total})
        out[order] = rows
    out_meta = {"paths": j.n_paths, "conversions": j.total_conversions, "channels": len(j.channels)}
    out[0] = [out_meta]  # type: ignore[list-item]
    return out


def confounded_population() -> dict[str, Any]:
    """Shares credited to the channels whose true credit is zero, in the confounded world.

    Population mode (expected counts of 10^6 journeys, no sampling noise), so the
    numbers are deterministic.
    """
    import numpy as np

    import pathcredit as pc
    from pathcredit.simulate import simulate_journeys

    sim = simulate_journeys("confounded", 1_000_000, population=True)
    truth = np.asarray(sim.truth.incremental, dtype=float)
    channels = list(sim.truth.channels)
    zero = [c for c, t in zip(channels, truth, strict=True) if abs(t) <= 1e-12 * truth.sum()]
    models = {
        "last_touch": {},
        "linear": {},
        "markov": {},
        "shapley (conversion rate)": {"model": "shapley", "value_function": "conversion_rate"},
    }
    credited = {}
    for name, kw in models.items():
        kw = dict(kw) or {"model": name}
        r = pc.attribute(sim.journeys, **kw)
        conv = dict(zip(r.channels, np.asarray(r.conversions, dtype=float), strict=True))
        credited[name] = sum(conv.get(c, 0.0) for c in zero) / sum(conv.values())
    share = truth / truth.sum()
    return {
        "zero_channels": zero,
        "credited": credited,
        "baseline_share": sim.truth.baseline_conversions / sim.truth.expected_conversions,
        "true_share": dict(zip(channels, share.tolist(), strict=True)),
    }


@dataclass
class Built:
    values: dict[str, str]
    tables: dict[str, str]
    data: dict[str, Any]  # what the figures draw
    #: generated blocks of benchmarks/attribution/README.md, by marker name
    readme: dict[str, str] = field(default_factory=dict)


#: The benchmark grid's README, whose result paragraphs are generated between markers.
GRID_README = BENCH / "attribution" / "README.md"
README_BLOCK = re.compile(
    r"(<!-- BEGIN generated by paper/build.py: (?P<name>[a-z_]+) -->\n)(?P<body>.*?)"
    r"(<!-- END generated: (?P=name) -->)",
    re.S,
)


def fill_readme(text: str, blocks: dict[str, str]) -> str:
    """``text`` with every marked block replaced by its generated body (unknown: an error)."""

    def sub(m: re.Match) -> str:
        name = m.group("name")
        if name not in blocks:
            raise SystemExit(f"no generated block named {name!r} (README marker)")
        return m.group(1) + blocks[name].rstrip("\n") + "\n" + m.group(4)

    return README_BLOCK.sub(sub, text)


def grid_readme_blocks(agg, resp) -> dict[str, str]:
    """The generated paragraphs of ``benchmarks/attribution/README.md``.

    ``grid_errors``: per world and truth the models under the recovery threshold, the
    nearest one and last touch, at the largest sample and in the population, and what
    they say; ``response_errors``: the ``bayesian_response`` grid's widths and errors.
    Both in the headline error (total variation distance) with the mean absolute error
    where a number is quoted, so the README cannot drift from the committed grid.
    """
    from pathcredit.benchmark.report import RECOVERY_THRESHOLD

    out = {}
    sizes = sorted(int(x) for x in agg.loc[agg["mode"] == "sample", "size"].unique())
    big = sizes[-1]
    worlds = sorted(agg["scenario"].unique())
    lines = []
    piv = {}
    for truth in ("incremental", "removal"):
        for mode, where in (("sample", f"{big:,} journeys"), ("population", "population")):
            p = _grid_pivot(agg, truth=truth, mode=mode, size=big if mode == "sample" else None)
            piv[truth, mode] = p
            lines += [
                f"Models under {RECOVERY_THRESHOLD:g} total variation distance, {truth} "
                f"truth, {where}:",
                "",
            ]
            for w in worlds:
                col = p[w].dropna()
                ok = sorted(col.index[col < RECOVERY_THRESHOLD])
                best = col.idxmin()
                lines.append(
                    f"- **{w}**: {', '.join(ok) if ok else 'none'} (nearest: {best}, "
                    f"{f_num(col[best])}; last_touch {f_num(col['last_touch'])})"
                )
            lines.append("")
    inc, pop = piv["incremental", "sample"], piv["incremental", "population"]
    mae = _grid_pivot(agg, metric=MAE, size=big)
    exposure = [w for w in worlds if w != "markov"]
    rec = {w: sorted(inc.index[inc[w] < RECOVERY_THRESHOLD]) for w in exposure}
    with_rec = [w for w in exposure if rec[w]]
    conf = inc["confounded"].dropna()
    common = inc.index.intersection(pop.index)
    gap = (inc.loc[common] - pop.loc[common]).abs()
    worst = gap.stack().idxmax()
    hold = "shapley(baseline='holdout', value_function='conversion_rate')"
    sd = agg[(agg.metric == ERR) & (agg.truth == "incremental") & (agg["mode"] == "sample")]
    sd = sd[sd.model == hold].set_index(["scenario", "size"])
    n_seeds = int(sd["count"].max())
    lt = inc.loc["last_touch", exposure]
    lt_mae = mae.loc["last_touch", exposure]
    rises = [
        w for w in exposure
        if sd.loc[(w, sizes[1]), "mean"] > sd.loc[(w, sizes[0]), "mean"]
    ]  # fmt: skip
    rise_txt = ""
    if rises:
        w0 = rises[0]
        first_mean = f_num(sd.loc[(w0, sizes[0]), "mean"])
        rise_txt = (
            f" and rises from {sizes[0]:,} to {sizes[1]:,} journeys in {len(rises)} of the "
            f"{len(exposure)} exposure-response worlds ({w0}: {first_mean}"
            f" to {f_num(sd.loc[(w0, sizes[1]), 'mean'])}, standard deviation "
            f"{f_num(sd.loc[(w0, sizes[1]), 'std'])})"
        )
    lines += [
        "Full tables (the mean absolute error per channel below each): "
        "[results/summary.md](results/summary.md); figures: "
        "![error by model](results/error_by_model.png) "
        "![error vs size](results/error_vs_size.png)",
        "",
        "What it says: in the Markov world the families built on that world's assumption "
        "recover their truth (`markov` at every order and `bayesian_markov` the removal "
        "shares; `linear_unique` / zhao `shapley` the incremental ones, Singal et al.'s "
        '"Shapley meets uniform"). In the response worlds no observational model gets '
        f"under {RECOVERY_THRESHOLD:g}"
        + (
            " except in " + f_list([f"`{w}` ({f_list(rec[w])})" for w in with_rec])
            if with_rec
            else ""
        )
        + ": with a realistic baseline every model allocates all conversions while the "
        "truth allocates only the incremental ones; the holdout-baseline variant is usually "
        f"nearest. Last touch puts {f_num(lt.min())} to {f_num(lt.max())} of the credit on "
        f"the wrong channels in these worlds (a mean absolute error of {f_num(lt_mae.min())} "
        f"to {f_num(lt_mae.max())} per channel). In `confounded` every model is off by "
        f"{f_num(conf.min())} or more, crediting retargeting and brand search, whose true "
        f"credit is zero. Last touch is "
        + ("never" if all(inc[w].idxmin() != "last_touch" for w in worlds) else "sometimes")
        + f" the nearest model. Errors at {big:,} journeys equal the population errors to "
        f"within {f_num(float(gap.drop(index=worst[0]).stack().max()))} for every model but "
        "one: they are bias, not noise. The exception is the Shapley conversion-rate game "
        f"with a holdout baseline, whose error does not settle with size in `{worst[1]}` "
        f"({f_num(inc.loc[hold, worst[1]])} at {big:,}, standard deviation "
        f"{f_num(sd.loc[(worst[1], big), 'std'])} over {n_seeds} seeds, against "
        f"{f_num(pop.loc[hold, worst[1]])} in the population){rise_txt}: its baseline is the "
        "conversion rate of the few journeys without any exposure, so its credit swings "
        "with them.",
    ]
    out["grid_errors"] = "\n".join(lines)

    if resp is not None and "bayesian_response" in set(resp["model"]):
        r = resp[(resp["mode"] == "sample") & (resp["truth"] == "incremental")]
        rs = sorted(int(x) for x in r["size"].unique())
        rw = ["additive", "logistic", "confounded"]

        def val(model, world, metric, n):
            q = r[(r.model == model) & (r.scenario == world) & (r.metric == metric)]
            q = q[q["size"] == n]["mean"]
            return float(q.iloc[0]) if len(q) else float("nan")

        def pair(model, world, metric):
            return " / ".join(f_num(val(model, world, metric, n)) for n in rs)

        exps = " / ".join(f"10^{len(str(n)) - 1}" for n in rs)
        rows = []
        for label, boot, point in (
            ("bayesian_response", "bayesian_response", "bayesian_response"),
            ("linear (bootstrap; error: linear)", "linear (bootstrap)", "linear"),
            ("markov (bootstrap; error: markov)", "markov (bootstrap)", "markov"),
        ):
            rows.append(
                [label, pair(boot, "additive", "width"), pair(boot, "logistic", "width")]
                + [pair(point, w, ERR) for w in rw]
                + [pair(point, w, MAE) for w in rw]
            )
        table = md_table(
            ["model", f"width additive {exps}", f"width logistic {exps}"]
            + [f"error {w} {exps}" for w in rw]
            + [f"MAE {w} {exps}" for w in rw],
            rows,
        )
        br = "bayesian_response"
        small, large = rs[0], rs[-1]
        width_ratio = [
            val(br, w, "width", n) / val("markov (bootstrap)", w, "width", n)
            for w in ("additive", "logistic")
            for n in rs
        ]
        others_log = min(val(m, "logistic", ERR, large) for m in ("linear", "markov"))
        text = [
            "Mean width of the 90% intervals, and share error (total variation distance: the "
            "share of credit on the wrong channels; then the mean absolute error per channel, "
            "`share_mae`):",
            "",
            table.rstrip("\n"),
            "",
            "What it says:",
            "",
            f"- In the `logistic` world (its own model) `bayesian_response` is calibrated "
            f"({f_num(val(br, 'logistic', 'coverage', small), 2)} and "
            f"{f_num(val(br, 'logistic', 'coverage', large), 2)} coverage) and its error falls "
            f"with the data ({f_num(val(br, 'logistic', ERR, small))}, then "
            f"{f_num(val(br, 'logistic', ERR, large))}; linear and markov stay at "
            f"{f_num(others_log)} or more): the only model here that recovers the incremental "
            f"shares. Its intervals are {min(width_ratio):.1f} to {max(width_ratio):.1f} times "
            "wider than Markov's: separating incremental conversions from the baseline is a "
            "harder question than splitting all conversions.",
            f"- In the `additive` world (probabilities add; the model adds log-odds) it covers "
            f"{f_pct(val(br, 'additive', 'coverage', small), 0)} at {small:,} journeys and "
            f"{f_pct(val(br, 'additive', 'coverage', large), 0)} at {large:,}: the "
            f"misspecification bias (error {f_num(val(br, 'additive', ERR, large))}) shows "
            "once the intervals are narrow enough. "
            + (
                "Still the nearest model to the truth."
                if val(br, "additive", ERR, large)
                < min(val(m, "additive", ERR, large) for m in ("linear", "markov"))
                else "Not the nearest model there."
            ),
            f"- In `confounded` it fails like every other model "
            f"({f_pct(val(br, 'confounded', 'coverage', small), 0)}, then "
            f"{f_pct(val(br, 'confounded', 'coverage', large), 0)}), and its error is the "
            f"largest ({f_num(val(br, 'confounded', ERR, large))}): subtracting the baseline "
            "leaves the confounded channels an even larger part of what remains.",
        ]
        out["response_errors"] = "\n".join(text)
    return out


def _grid_pivot(agg, *, metric=ERR, truth="incremental", mode="sample", size=None):
    t = agg[(agg.metric == metric) & (agg.truth == truth) & (agg["mode"] == mode)]
    if size is not None:
        t = t[t["size"] == size]
    return t.pivot_table(index="model", columns="scenario", values="mean", aggfunc="first")


def compute(s: Sources, *, live: bool = True) -> Built:
    """All values and tables of the paper from the loaded sources."""
    from pathcredit.benchmark.report import COVERAGE_BAND, RECOVERY_THRESHOLD

    v: dict[str, str] = {}
    t: dict[str, str] = {}
    data: dict[str, Any] = {}

    # ---- ChannelAttribution: exactness on its own example data
    if live:
        ca = ca_exactness()
        meta = ca.pop(0)[0]
        v["ca_data_paths"] = f_int(meta["paths"])
        v["ca_data_conversions"] = f_int(meta["conversions"])
        v["ca_data_channels"] = f_int(meta["channels"])
        order1 = sorted(ca[1], key=lambda r: -r["exact"])
        rows = []
        rel = {k: {r["channel"]: (r["ca"] - r["exact"]) / r["exact"] for r in ca[k]} for k in ca}
        for r in order1:
            c = r["channel"]
            rows.append(
                [c, f_pct(r["share"]), f_num(r["exact"], 1), f_num(r["ca"], 1)]
                + [f"{100 * rel[k][c]:+.1f}%" for k in (1, 2, 3)]
            )
        t["ca_exactness"] = md_table(
            [
                "channel",
                "exact share",
                "exact credit",
                "ChannelAttribution",
                "error, order 1",
                "error, order 2",
                "error, order 3",
            ],
            rows,
        )
        for k in (1, 2, 3):
            big = [abs(rel[k][r["channel"]]) for r in ca[k] if r["share"] >= CA_BIG_SHARE]
            v[f"ca_maxrel_big_o{k}"] = f_pct(max(big))
            v[f"ca_maxabs_o{k}"] = f_num(max(abs(r["ca"] - r["exact"]) for r in ca[k]), 1)
        v["ca_big_share"] = f_pct(CA_BIG_SHARE, 0)
        call = _read_json(CA_DATA / "markov_order1_expected.json")["call"]
        v["ca_seed"] = re.search(r"seed=(\d+)", call).group(1)
        zeros = sorted(
            {r["channel"] for k in (2, 3) for r in ca[k] if r["ca"] == 0 and r["exact"] > 0}
        )
        v["ca_zero_channels"] = f_list(zeros) if zeros else "no channel"
        worst = max(
            ((k, r) for k in (1, 2, 3) for r in ca[k]),
            key=lambda kr: abs(kr[1]["ca"] - kr[1]["exact"]) / kr[1]["exact"],
        )
        v["ca_worst_small"] = (
            f"{worst[1]['channel']}'s at order {worst[0]}: {f_num(worst[1]['ca'], 1)} "
            f"conversions against {f_num(worst[1]['exact'], 1)}"
        )
        data["ca"] = ca

    # ---- ChannelAttribution: speed end to end (results_e2e.json)
    e2e = [r for r in s.e2e["rows"] if r["set"] == "12 channels"]
    e2e.sort(key=lambda r: r["order"])
    rows = []
    for r in e2e:
        rows.append(
            [
                str(r["order"]),
                f_int(r["states"]),
                f_num(r["ca_median_s"], 3),
                f_num(r["pc_median_s"], 3),
                f_ratio(r["ratio"]),
                f_ratio(r["ratio_paired_median"]),
                f_ratio(r["ratio_min"]),
                f_num(100 * r["ca_max_share_err"], 2),
                f_pct(r["ca_max_rel_err"]),
            ]
        )
    t["markov_speed"] = md_table(
        [
            "order",
            "states",
            "ChannelAttribution (s)",
            "pathcredit (s)",
            "ratio of medians",
            "paired ratio",
            "worst repeat",
            "CA largest share error (pp)",
            "CA largest relative error",
        ],
        rows,
    )
    data["e2e"] = e2e
    v["e2e_ratios"] = ", ".join(f_ratio(r["ratio"]) for r in e2e)
    v["e2e_orders"] = f"{e2e[0]['order']} to {e2e[-1]['order']}"
    v["e2e_min_ratio"] = f_ratio(min(min(r["ratio"], r["ratio_paired_median"]) for r in e2e))
    v["e2e_worst_repeat"] = f_ratio(min(r["ratio_min"] for r in e2e))
    v["e2e_repeats"] = str(e2e[0]["runs"])
    v["e2e_date"] = s.e2e["meta"]["date"]
    v["ca_version"] = s.e2e["meta"]["channelattribution"]
    m = re.search(r"pathcredit ([0-9.]+)", s.e2e["meta"]["machine"])
    v["e2e_pc_version"] = m.group(1) if m else "?"
    v["e2e_max_rel_err"] = f_pct(max(r["ca_max_rel_err"] for r in e2e))
    v["e2e_max_share_err_pp"] = f_num(100 * max(r["ca_max_share_err"] for r in e2e), 2)
    v["e2e_cross_check"] = f"{max(r['pc_cross_check'] or 0.0 for r in e2e):.0e}"
    # run-to-run noise: each tool's repeats relative to its median
    spread = {}
    for tool in ("ca", "pc"):
        lo = min(min(r[f"{tool}_runs_s"]) / r[f"{tool}_median_s"] for r in e2e)
        hi = max(max(r[f"{tool}_runs_s"]) / r[f"{tool}_median_s"] for r in e2e)
        spread[tool] = (lo, hi)
    v["noise_ca_lo"] = f_pct(spread["ca"][0] - 1, 0)
    v["noise_ca_hi"] = "+" + f_pct(spread["ca"][1] - 1, 0)
    v["noise_pc_lo"] = f_pct(spread["pc"][0] - 1, 0)
    v["noise_pc_hi"] = "+" + f_pct(spread["pc"][1] - 1, 0)
    synth = _synthetic_defaults()
    v["synth_journeys"] = f_int(synth["n_journeys"])
    v["synth_channels"] = f_int(synth["n_channels"])
    rows = []
    for r in e2e:
        for tool, label in (("ca", "ChannelAttribution"), ("pc", "pathcredit")):
            runs = r[f"{tool}_runs_s"]
            med = r[f"{tool}_median_s"]
            rows.append(
                [
                    f"Markov end to end, order {r['order']}",
                    label,
                    str(len(runs)),
                    f_num(med, 3),
                    f_num(min(runs), 3),
                    f_num(max(runs), 3),
                    f"{100 * (min(runs) / med - 1):+.0f}% / {100 * (max(runs) / med - 1):+.0f}%",
                ]
            )
    for r in s.speed["results"]:
        runs = r["times_s"]
        med = r["median_s"]
        case = r["case"] if r["case"] == "bayesian_markov" else f"bootstrap {r['case']}"
        rows.append(
            [
                f"{case}, order {r['order']}, {r['draws']:,} draws",
                "pathcredit",
                str(len(runs)),
                f_num(med, 3),
                f_num(min(runs), 3),
                f_num(max(runs), 3),
                f"{100 * (min(runs) / med - 1):+.0f}% / {100 * (max(runs) / med - 1):+.0f}%",
            ]
        )
    t["timing_noise"] = md_table(
        ["benchmark", "tool", "repeats", "median (s)", "min (s)", "max (s)", "min / max vs median"],
        rows,
        align=["l", "l", "r", "r", "r", "r", "r"],
    )
    sp = [r for r in s.speed["results"] if len(r["times_s"]) > 1]
    v["speed_noise"] = (
        f_pct(max((max(r["times_s"]) - min(r["times_s"])) / r["median_s"] for r in sp), 0)
        if sp
        else "- (one repeat)"
    )

    # ---- mta: Shapley speed (bench_shapley.py's table)
    rows = []
    sh = []
    for r in s.shapley_rows:
        sh.append(r)
        rows.append(
            [
                r["channels"],
                r["distinct paths"],
                r["pathcredit (s)"],
                re.sub(r" \(n=\d+\)", "", r["mta (s)"]),
                re.sub(r" \(n=\d+\)", "", r["brute force (s)"]),
                r["mta / pathcredit"],
                r["max abs diff vs mta, brute"],
            ]
        )
    t["shapley_speed"] = md_table(
        [
            "channels",
            "distinct paths",
            "pathcredit (s)",
            "mta (s)",
            "brute force (s)",
            "mta / pathcredit",
            "largest difference vs mta, brute force",
        ],
        rows,
    )
    data["shapley"] = sh
    by_n = {int(r["channels"]): r for r in sh}
    n12 = by_n.get(12) or sh[len(sh) // 2]
    v["mta_ratio_12"] = n12["mta / pathcredit"] + "x"
    v["mta_channels_mid"] = n12["channels"]
    largest = sh[-1]
    v["shapley_largest_channels"] = largest["channels"]
    v["shapley_largest_s"] = largest["pathcredit (s)"] + " s"
    timeouts = [r["channels"] for r in sh if r["mta (s)"].startswith(">")]
    v["mta_timeout_channels"] = timeouts[0] if timeouts else "-"
    v["mta_timeout_s"] = sh[-1]["mta (s)"].lstrip("> ").split(" ")[0] if timeouts else "-"
    # the first of the two differences is against mta, the second against brute force
    mta_diffs = [r["max abs diff vs mta, brute"].split(", ")[0] for r in sh]
    diffs = [float(x) for x in mta_diffs if x not in ("-", "")]
    v["mta_max_diff"] = f"{max(diffs):.0e}" if diffs else "-"

    # ---- the benchmark grid
    agg = s.agg
    settings = s.run["settings"]
    sizes = sorted(int(x) for x in settings["sizes"])
    big = sizes[-1]
    worlds = sorted(agg["scenario"].unique())
    models_all = sorted(agg["model"].unique())
    v["grid_worlds"] = str(len(worlds))
    point = sorted(agg.loc[agg.metric == ERR, "model"].unique())
    boot = [m for m in models_all if m not in point]
    v["grid_models"] = str(len(point))
    v["grid_models_clause"] = f"{len(point)} model settings" + (
        f" (and {len(boot)} bootstrap interval settings)" if boot else ""
    )
    v["grid_seeds"] = str(len(settings["seeds"]))
    v["grid_sizes"] = f"{sizes[0]:,} to {big:,}"
    v["grid_size_big"] = f"{big:,}"
    v["grid_rows"] = f_int(s.grid_rows)
    v["grid_wall"] = f_sec(s.run["wall_time_s"])
    v["grid_jobs"] = str(settings["n_jobs"])
    mach = s.run.get("machine", {})
    v["machine"] = f"{mach.get('cpu', 'unknown CPU')}, {mach.get('cpu_count', '?')} cores"
    v["grid_commit"] = (s.run.get("commit") or "unknown")[:7]
    v["threshold"] = f"{RECOVERY_THRESHOLD:g}"
    v["threshold_pp"] = f"{100 * RECOVERY_THRESHOLD:g}"

    inc = _grid_pivot(agg, size=big)
    rem = _grid_pivot(agg, truth="removal", size=big)
    pop = _grid_pivot(agg, mode="population")
    inc_mae = _grid_pivot(agg, metric=MAE, size=big)
    data["grid_inc"] = inc
    data["agg"] = agg
    paper_models = [m for m in PAPER_MODELS if m in inc.index] + sorted(
        m for m in inc.index if m not in KNOWN_GRID_MODELS
    )
    data["paper_models"] = paper_models

    def grid_table(p, models):
        rows = []
        for m in models:
            cells = [short(m)]
            for w in worlds:
                x = p.loc[m, w] if (m in p.index and w in p.columns) else float("nan")
                cell = f_num(x)
                if not math.isnan(x) and x == p[w].min():
                    cell = f"**{cell}**"
                if not math.isnan(x) and x < RECOVERY_THRESHOLD:
                    cell += "\\*"
                cells.append(cell)
            rows.append(cells)
        return md_table(["model"] + worlds, rows)

    t["grid_share_error"] = grid_table(inc, paper_models)
    t["grid_share_error_full"] = grid_table(inc, list(inc.index))
    t["grid_share_error_removal_full"] = grid_table(rem, list(rem.index))
    t["grid_share_error_population_full"] = grid_table(pop, list(pop.index))
    # the secondary measure, same cells: mean absolute error per channel (no recovery marks)
    t["grid_share_mae_full"] = md_table(
        ["model"] + worlds,
        [[short(m)] + [f_num(inc_mae.loc[m, w]) for w in worlds] for m in inc_mae.index],
    )

    # per world: nearest model, last touch, recovered
    rows = []
    nearest = {}
    recovered = {}
    for w in worlds:
        col = inc[w].dropna()
        best = col.idxmin()
        nearest[w] = (best, col[best])
        recovered[w] = sorted(short(m) for m in col.index[col < RECOVERY_THRESHOLD])
        rrow = rem[w].dropna()
        rows.append(
            [
                w,
                f"{short(best)} ({f_num(col[best])})",
                f_num(col.get("last_touch", float("nan"))),
                f_num(col.get("markov", float("nan"))),
                f"{short(rrow.idxmin())} ({f_num(rrow.min())})",
                str(len(recovered[w])),
                f_num(inc_mae[w].get("last_touch", float("nan"))),
                f_num(inc_mae[w].get("markov", float("nan"))),
            ]
        )
    t["grid_summary"] = md_table(
        [
            "world",
            "nearest model, incremental truth",
            "last touch",
            "markov",
            "nearest model, removal truth",
            f"models under {RECOVERY_THRESHOLD:g}",
            "last touch, MAE",
            "markov, MAE",
        ],
        rows,
        align=["l", "l", "r", "r", "l", "r", "r", "r"],
    )
    exposure = [w for w in worlds if w != "markov"]
    lt = inc.loc["last_touch", exposure] if "last_touch" in inc.index else None
    if lt is not None:
        v["lt_err_min"] = f_num(lt.min())
        v["lt_err_max"] = f_num(lt.max())
        v["lt_err_markov"] = f_num(inc.loc["last_touch", "markov"])
        v["lt_err_confounded"] = f_num(inc.loc["last_touch", "confounded"])
        never = all(nearest[w][0] != "last_touch" for w in worlds)
        v["lt_nearest_phrase"] = (
            "is never the nearest model" if never else "is the nearest model in some worlds"
        )
    fixed = [m for m in ("first_touch", "linear", "position_based", "time_decay") if m in inc.index]
    v["rules_err_range"] = (
        f"{f_num(inc.loc[fixed, exposure].min().min())} to "
        f"{f_num(inc.loc[fixed, exposure].max().max())}"
    )
    rec_exposure = {w: recovered[w] for w in exposure if recovered[w]}
    v["exposure_recovered"] = (
        "; ".join(f"{w} ({f_list(ms)})" for w, ms in rec_exposure.items())
        if rec_exposure
        else "none"
    )
    v["exposure_without_recovery"] = f_list([w for w in exposure if not recovered[w]])
    v["markov_world_recovered_n"] = str(len(recovered["markov"]))
    v["markov_world_best"] = f"{short(nearest['markov'][0])} ({f_num(nearest['markov'][1])})"
    rm = rem["markov"].dropna()
    markov_family = [m for m in rm.index if m.startswith(("markov", "bayesian_markov"))]
    v["markov_world_removal_markov_max"] = f_num(rm[markov_family].max())
    v["markov_world_zhao"] = f_num(inc.loc["shapley", "markov"]) if "shapley" in inc.index else "-"
    hold = "shapley(baseline='holdout', value_function='conversion_rate')"
    v["holdout_nearest_n"] = str(sum(nearest[w][0] == hold for w in exposure))
    v["exposure_n"] = str(len(exposure))
    conf = inc["confounded"].dropna()
    v["confounded_min"] = f_num(conf.min())
    v["confounded_best"] = short(conf.idxmin())
    if hold in conf.index:
        v["confounded_holdout"] = f_num(conf[hold])
        h = agg[
            (agg.model == hold)
            & (agg.metric == ERR)
            & (agg.truth == "incremental")
            & (agg["mode"] == "sample")
            & (agg["size"] == big)
        ].set_index("scenario")
        v["confounded_holdout_sd"] = f_num(h.loc["confounded", "std"])
        v["confounded_holdout_pop"] = f_num(pop.loc[hold, "confounded"])
    # 10^6 sampled vs population: bias, not noise
    common = inc.index.intersection(pop.index)
    gap = (inc.loc[common] - pop.loc[common]).abs()
    where = gap.stack().idxmax()
    v["pop_vs_big_max"] = f_num(float(gap.stack().max()))
    v["pop_vs_big_where"] = f"{short(where[0])} in {where[1]}"
    v["pop_vs_big_others"] = f_num(float(gap.drop(index=where[0]).stack().max()))
    v["pop_vs_big_median"] = f_num(float(gap.stack().median()))
    if gap.stack().max() > RECOVERY_THRESHOLD / 2:
        v["pop_vs_big_clause"] = (
            f"to within {v['pop_vs_big_others']} for every model but one "
            f"({v['pop_vs_big_where']}, off by {v['pop_vs_big_max']})"
        )
    else:
        v["pop_vs_big_clause"] = f"to within {v['pop_vs_big_max']} for every model"

    # convergence table: share error by size
    conv_rows = []
    data["convergence"] = {}
    for w in CONVERGENCE_WORLDS:
        truth = "removal" if w == "markov" else "incremental"
        sub = agg[(agg.metric == ERR) & (agg.truth == truth) & (agg.scenario == w)].set_index(
            ["model", "mode", "size"]
        )["mean"]
        for m in CONVERGENCE_MODELS:
            if (m, "population", big) not in sub.index:
                continue
            cells = [w, truth, short(m)]
            cells += [f_num(sub.get((m, "sample", n), float("nan"))) for n in sizes]
            cells.append(f_num(sub[(m, "population", big)]))
            conv_rows.append(cells)
    t["grid_convergence"] = md_table(
        ["world", "truth", "model"] + [f"{n:,}" for n in sizes] + ["population"],
        conv_rows,
        align=["l", "l", "l"] + ["r"] * (len(sizes) + 1),
    )
    bm = agg[(agg.metric == ERR) & (agg["mode"] == "sample")]
    mk = bm[(bm.scenario == "markov") & (bm.truth == "removal") & (bm.model == "markov")]
    mk = mk.set_index("size")["mean"]
    v["markov_small_err"] = f_num(mk[sizes[0]])
    v["markov_big_err"] = f_num(mk[big])
    v["size_small"] = f"{sizes[0]:,}"

    # coverage of the grid's interval models
    cov = agg[(agg.metric == "coverage") & (agg["mode"] == "sample")]
    wid = agg[(agg.metric == "width") & (agg["mode"] == "sample")]
    cov_models = sorted(cov["model"].unique())
    rows = []
    # one row per interval model: the Markov world against its removal truth at the
    # smallest and largest sizes, every other world against the incremental truth
    others = [w for w in worlds if w != "markov"]

    def cov_at(m, w, truth, n):
        c = cov[(cov.model == m) & (cov.scenario == w) & (cov.truth == truth) & (cov["size"] == n)]
        return f_pct(float(c["mean"].iloc[0]), 0) if len(c) else "-"

    for m in cov_models:
        cells = [short(m)]
        if "markov" in worlds:
            cells += [cov_at(m, "markov", "removal", sizes[0]), cov_at(m, "markov", "removal", big)]
        cells += [cov_at(m, w, "incremental", big) for w in others]
        rows.append(cells)
    head = ["model"]
    if "markov" in worlds:
        head += [f"markov ({sizes[0]:,})", f"markov ({big:,})"]
    head += others
    t["grid_coverage"] = md_table(head, rows)
    v["coverage_models"] = f_list([short(m) for m in cov_models])
    rule_models = [m for m in cov_models if not m.startswith(("markov", "bayesian_markov"))]
    if rule_models:
        best = 0.0
        for m in rule_models:
            for w in worlds:
                truth = "removal" if w == "markov" else "incremental"
                c = cov[
                    (cov.model == m)
                    & (cov.scenario == w)
                    & (cov.truth == truth)
                    & (cov["size"] == big)
                ]
                if len(c):
                    best = max(best, float(c["mean"].iloc[0]))
        names = f_list([short(m).replace(" (bootstrap)", "") for m in rule_models])
        v["grid_cov_rules_sentence"] = (
            f" The bootstrap intervals of the rule models ({names})"
            f" cover at most {f_pct(best, 0)} of the true shares at {big:,} journeys in any"
            " world: they show how much a rule's split moves with the data, not how far the rule"
            " is from the truth."
        )
    else:
        v["grid_cov_rules_sentence"] = ""
    if "bayesian_markov" in cov_models:
        c = cov[(cov.model == "bayesian_markov") & (cov.scenario == "markov")]
        c = c[c.truth == "removal"].set_index("size")["mean"]
        v["bm_grid_cov_markov_lo"] = f_pct(c.min(), 0)
        v["bm_grid_cov_markov_hi"] = f_pct(c.max(), 0)
        o = cov[(cov.model == "bayesian_markov") & (cov.scenario != "markov")]
        o = o[(o["size"] == big) & (o.truth == "incremental")]
        v["bm_grid_cov_other_max"] = f_pct(o["mean"].max(), 0)
        w_ = wid[(wid.model == "bayesian_markov") & (wid.scenario == "markov")]
        w_ = w_[w_.truth == "removal"].set_index("size")["mean"]
        v["bm_grid_width_small"] = f_num(w_[sizes[0]])
        v["bm_grid_width_big"] = f_num(w_[big])
    v["coverage_band"] = f"{f_pct(COVERAGE_BAND[0], 0)} to {f_pct(COVERAGE_BAND[1], 0)}"

    # ---- Bayesian Markov and bootstrap: speed and calibration
    speed = {(r["case"], r["order"]): r for r in s.speed["results"]}
    bm1, bm2 = speed[("bayesian_markov", 1)], speed[("bayesian_markov", 2)]
    v["bm_draws"] = f_int(bm1["draws"])
    v["bm_paths"] = f_int(bm1["paths"])
    v["bm_o1_s"] = f_sec(bm1["median_s"])
    v["bm_o2_s"] = f_sec(bm2["median_s"])
    v["bm_o2_states"] = f_int(bm2["n_states"])
    b3 = s.speed_order3["results"][0]
    v["bm_o3_states"] = f_int(b3["n_states"])
    v["bm_o3_draws"] = f_int(b3["draws"])
    v["bm_o3_s"] = f_sec(b3["median_s"])
    bl, bmk = speed[("linear", 1)], speed[("markov", 1)]
    v["boot_resamples"] = f_int(bl["draws"])
    v["boot_linear_s"] = f_sec(bl["median_s"])
    v["boot_markov_s"] = f_sec(bmk["median_s"])

    rows = []
    cal_summ = []
    needed = {"world", "journeys_per_replicate"}
    for name, d in s.calibration:
        meta = d.get("meta", {})
        results = d.get("results", {})
        if not needed <= set(meta) or not all(re.fullmatch(r"order \d+", k) for k in results):
            print(f"warning: {name} is not in calibration.py's schema; left out of the paper")
            continue
        for key in sorted(results, key=lambda k: int(k.split()[-1])):
            sm = d["results"][key]["summary"]
            conc = meta.get("concentration", "auto")
            order = int(key.split()[-1])
            cal_summ.append((meta, order, sm))
            rows.append(
                [
                    meta["world"],
                    f_int(meta["journeys_per_replicate"]),
                    str(conc) if order > 1 else "-",
                    str(order),
                    f_int(sm["channel_replicates"]),
                    f_int(sm["mean_conversions"]),
                    f_pct(sm["bayes_hdi_coverage"]),
                    f_pct(sm["bootstrap_coverage"]),
                    f_num(sm["bayes_mean_width"], 4),
                    f_num(sm["bootstrap_mean_width"], 4),
                ]
            )
    t["calibration"] = md_table(
        [
            "world",
            "journeys",
            "concentration",
            "order",
            "channel-replicates",
            "conversions",
            "Bayes HDI coverage",
            "bootstrap coverage",
            "Bayes width",
            "bootstrap width",
        ],
        rows,
        align=["l", "r", "l", "r", "r", "r", "r", "r", "r", "r"],
    )
    ci = {meta.get("ci_prob") for meta, _, _ in cal_summ}
    v["ci_prob"] = f_pct(ci.pop(), 0) if len(ci) == 1 else "nominal"

    def is_default(meta, order):  # the default: concentration 1.0 at order >= 2
        return order == 1 or str(meta.get("concentration")) in ("1.0", "1")

    # matched worlds (data simulated from a Markov chain); other worlds are reported apart
    matched = [(m, o, sm) for m, o, sm in cal_summ if m["world"] in MATCHED_WORLDS]
    dflt = [sm["bayes_hdi_coverage"] for meta, o, sm in matched if is_default(meta, o)]
    auto = [
        sm["bayes_hdi_coverage"]
        for meta, o, sm in matched
        if o > 1 and meta["world"] == "simulate" and str(meta.get("concentration")) == "auto"
    ]
    boot = [sm["bootstrap_coverage"] for _, _, sm in matched]
    other = [(m, o, sm) for m, o, sm in cal_summ if m["world"] not in MATCHED_WORLDS]
    if other:
        worlds_o = sorted({m["world"] for m, _, _ in other})
        cov_o = [sm["bayes_hdi_coverage"] for _, _, sm in other]
        boot_o = [sm["bootstrap_coverage"] for _, _, sm in other]
        v["cal_other_sentence"] = (
            f" In the simulator's {f_list(worlds_o)} world"
            f"{'s' if len(worlds_o) > 1 else ''}, where the Markov model is misspecified, "
            f"the same intervals cover the truth in only {f_pct(min(cov_o))} to "
            f"{f_pct(max(cov_o))} (bootstrap {f_pct(min(boot_o))} to {f_pct(max(boot_o))})."
        )
    else:
        v["cal_other_sentence"] = ""
    v["cal_default_lo"] = f_pct(min(dflt))
    v["cal_default_hi"] = f_pct(max(dflt))
    v["cal_auto_lo"] = f_pct(min(auto)) if auto else "-"
    v["cal_auto_hi"] = f_pct(max(auto)) if auto else "-"
    v["cal_boot_lo"] = f_pct(min(boot))
    v["cal_boot_hi"] = f_pct(max(boot))
    reps = {sm["replicates"] for _, _, sm in matched}
    v["cal_replicates"] = f"{min(reps)} to {max(reps)}" if len(reps) > 1 else str(reps.pop())

    # ---- bayesian_response (PyMC), when its calibration has landed
    t["response_calibration"] = response_table(s.response)
    v["response_status"] = response_values(s.response)
    v["response_speed_sentence"] = response_speed_sentence(s.response_speed)
    block, table, sentence = response_grid(s.response_grid, s.response_run)
    v["response_grid_block"] = block
    v["response_grid_sentence"] = sentence
    if table:
        t["grid_response"] = table

    # ---- the confounded world, computed from the simulator (population mode)
    if live:
        cp = confounded_population()
        v["conf_zero_channels"] = f_list(cp["zero_channels"])
        v["conf_baseline_share"] = f_pct(cp["baseline_share"], 0)
        for name, x in cp["credited"].items():
            key = re.sub(r"[^a-z]+", "_", name.lower()).strip("_")
            v[f"conf_credit_{key}"] = f_pct(x, 0)
        v["conf_credit_range"] = (
            f"{f_pct(min(cp['credited'].values()), 0)} to {f_pct(max(cp['credited'].values()), 0)}"
        )

    # ---- dates
    dates = [s.e2e["meta"]["date"], s.speed["meta"]["date"][:10]]
    dates += [d["meta"]["date"][:10] for _, d in s.calibration if "date" in d.get("meta", {})]
    v["date"] = _long_date(max(dates))
    built = Built(v, t, data)
    built.readme = grid_readme_blocks(agg, s.response_grid)
    return built


def _response_summaries(files: list[tuple[str, dict]]) -> list[tuple[dict, dict]]:
    """(meta, per-world summary) pairs of calibration_response.py's schema
    (``{"meta": ..., "summary": [{"world": ..., "coverage": ...}, ...]}``)."""
    out = []
    for _name, d in files:
        summ = d.get("summary") if isinstance(d, dict) else None
        if isinstance(summ, list):
            out += [(d.get("meta", {}), x) for x in summ if isinstance(x, dict) and "world" in x]
    return out


def response_values(files: list[tuple[str, dict]]) -> str:
    """The sentence on bayesian_response's calibration (or why there is none)."""
    summ = _response_summaries(files)
    if not summ:
        if files:
            return "its calibration files are committed (Table 8)"
        return "its calibration had not been committed when this paper was built"
    parts = [
        f"{x['world']} {f_pct(x['coverage'], 0)}"
        for _, x in summ
        if isinstance(x.get("coverage"), int | float)
    ]
    ci = {m.get("ci_prob") for m, _ in summ}
    ci_txt = f_pct(ci.pop(), 0) + " " if len(ci) == 1 and None not in ci else ""
    return (
        f"its {ci_txt}intervals cover the simulator's incremental shares in "
        f"{f_list(parts)} of channel-replicates (Table 8)"
    )


def response_speed_sentence(d: dict) -> str:
    """``speed_response.json`` (bench_response.py) as one sentence; empty without it."""
    rows = [r for r in d.get("results", []) if isinstance(r, dict) and "total_s" in r]
    if not rows:
        return ""
    r = min(rows, key=lambda r: r["total_s"])
    diag = r.get("diagnostics") or {}
    text = (
        f" `bayesian_response` on the {f_int(r['paths'])}-path set "
        f"({f_int(r['patterns'])} exposure patterns) took {f_sec(r['total_s'])} for "
        f"{f_int(r['chains'])} chains of {f_int(r['draws'])} draws with {r['sampler']}"
    )
    if "peak_mib" in r:
        text += f" (peak memory {f_int(r['peak_mib'])} MiB)"
    if r.get("warnings") and "max_rhat" in diag:
        text += (
            f", and its sampler diagnostics failed (R-hat up to {diag['max_rhat']:.3f}, "
            f"bulk effective sample size down to {f_int(diag['min_ess_bulk'])})"
        )
    return text + "."


def response_grid(agg, run: dict) -> tuple[str, str, str]:
    """The separate bayesian_response grid (``benchmarks/attribution/results_response``):
    a captioned table for the paper, the bare table, and one generated sentence."""
    if agg is None or "bayesian_response" not in set(agg["model"]):
        return "", "", ""
    agg = agg[(agg["mode"] == "sample") & (agg["truth"] == "incremental")]
    worlds = sorted(agg["scenario"].unique())
    sizes = sorted(int(x) for x in agg["size"].unique())
    big = sizes[-1]
    cols = [(w, n) for w in worlds for n in sizes]
    rows = []
    for m in sorted(agg["model"].unique()):
        for metric, label, fmt in (
            (ERR, "share error", lambda x: f_num(x)),
            (MAE, "share error, MAE", lambda x: f_num(x)),
            ("coverage", "coverage", lambda x: f_pct(x, 0)),
        ):
            q = agg[(agg.model == m) & (agg.metric == metric)]
            if q.empty:
                continue
            val = {(r.scenario, int(r.size)): r.mean for r in q.itertuples()}
            rows.append([short(m), label] + [fmt(val[c]) if c in val else "-" for c in cols])
    table = md_table(
        ["model", "metric"] + [f"{w} ({n:,})" for w, n in cols],
        rows,
        align=["l", "l"] + ["r"] * len(cols),
    )
    seeds = len(run.get("settings", {}).get("seeds", [])) or "?"
    caption = (
        f"Table 9: The separate `bayesian_response` grid ({f_list(worlds)} worlds, "
        f"{f_list([f'{n:,}' for n in sizes])} journeys, {seeds} seeds; incremental truth)."
    )
    br = agg[(agg.model == "bayesian_response") & (agg["size"] == big)]
    parts = []
    for w in worlds:
        e = br[(br.scenario == w) & (br.metric == ERR)]["mean"]
        c = br[(br.scenario == w) & (br.metric == "coverage")]["mean"]
        if len(e) and len(c):
            parts.append(
                f"{f_num(float(e.iloc[0]))} with {f_pct(float(c.iloc[0]), 0)} coverage in {w}"
            )
    sentence = (
        f"In a separate grid (Table 9) `bayesian_response` reaches a share error of "
        f"{f_list(parts)} at {big:,} journeys."
        if parts
        else ""
    )
    return caption + "\n\n" + table, table, sentence


def response_table(files: list[tuple[str, dict]]) -> str:
    """Coverage and width of ``bayesian_response`` from ``calibration_response*.json``.

    The schema is read defensively: any mapping named ``summary`` (at any depth)
    contributes one row with its numeric entries whose names mention coverage,
    width or error; rows are labelled by file and path.
    """
    if not files:
        return "(no `benchmarks/bayesian/calibration_response*.json` committed yet)\n"
    summ = _response_summaries(files)
    if summ:
        cols = [
            ("replicates", "replicates", lambda x: f_int(x)),
            ("mean_conversions", "conversions", lambda x: f_int(x)),
            ("coverage", "Bayes coverage", lambda x: f_pct(x)),
            ("mean_width", "Bayes width", lambda x: f_num(x, 4)),
            ("tv_distance", "Bayes TV", lambda x: f_num(x, 4)),
            ("mean_abs_error", "Bayes MAE", lambda x: f_num(x, 4)),
            ("bootstrap_coverage", "bootstrap coverage", lambda x: f_pct(x)),
            ("bootstrap_mean_width", "bootstrap width", lambda x: f_num(x, 4)),
            ("bootstrap_tv_distance", "bootstrap TV", lambda x: f_num(x, 4)),
            ("bootstrap_mean_abs_error", "bootstrap MAE", lambda x: f_num(x, 4)),
            ("baseline_ratio", "baseline est. / true", lambda x: f_num(x, 2)),
        ]
        summ = [(meta, _with_tv(x)) for meta, x in summ]
        present = [c for c in cols if any(isinstance(x.get(c[0]), int | float) for _, x in summ)]
        rows = []
        for meta, x in summ:
            cells = [x["world"], f_int(meta["journeys"]) if "journeys" in meta else "-"]
            for key, _, fmt in present:
                val = x.get(key)
                cells.append(fmt(val) if isinstance(val, int | float) else "-")
            rows.append(cells)
        return md_table(["world", "journeys"] + [c[1] for c in present], rows)
    rows = []
    keys: list[str] = []

    def walk(obj, path):
        if isinstance(obj, dict):
            if "summary" in obj and isinstance(obj["summary"], dict):
                yield path, obj["summary"]
            for k, x in obj.items():
                if k != "summary":
                    yield from walk(x, path + [str(k)])
        elif isinstance(obj, list):
            for i, x in enumerate(obj):
                yield from walk(x, path + [str(i)])

    found = []
    for name, d in files:
        for path, sm in walk(d, []):
            found.append((name, " / ".join(path), sm))
            for k, x in sm.items():
                if isinstance(x, int | float) and re.search("coverage|width|error|mae", k):
                    if k not in keys:
                        keys.append(k)
        if not any(f[0] == name for f in found):
            flat = d.get("summary") if isinstance(d, dict) else None
            if isinstance(flat, dict):
                found.append((name, "", flat))
    for name, path, sm in found:
        cells = [name.removesuffix(".json"), path or "-"]
        for k in keys:
            x = sm.get(k)
            if isinstance(x, int | float):
                cells.append(f_pct(x) if "coverage" in k else f_num(float(x), 4))
            else:
                cells.append("-")
        rows.append(cells)
    if not rows:
        return "(`calibration_response*.json` found, but no `summary` entries to tabulate)\n"
    return md_table(["file", "case"] + keys, rows, align=["l", "l"] + ["r"] * len(keys))


def _with_tv(x: dict) -> dict:
    """A calibration summary with the total variation distance beside its mean absolute error.

    ``calibration_response.py`` records the mean over replicates of each replicate's mean
    absolute error over its k channels; the mean total variation distance is k / 2 times
    that (both are linear in the per-channel errors), so it is computed, not rerun.
    """
    k = len(x.get("channels") or [])
    out = dict(x)
    for src, dst in (("mean_abs_error", "tv_distance"),
                     ("bootstrap_mean_abs_error", "bootstrap_tv_distance")):  # fmt: skip
        if k and isinstance(x.get(src), int | float):
            out[dst] = x[src] * k / 2
    return out


def _synthetic_defaults() -> dict[str, Any]:
    """Default size of the Markov benchmark's synthetic set (``benchmarks/markov/synthetic.py``)."""
    import ast

    tree = ast.parse((BENCH / "markov" / "synthetic.py").read_text(encoding="utf-8"))
    fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "make_paths")
    names = [a.arg for a in fn.args.args]
    defaults = [ast.literal_eval(d) for d in fn.args.defaults]
    return dict(zip(names[len(names) - len(defaults) :], defaults, strict=True))


def _long_date(iso: str) -> str:
    y, mth, d = (int(x) for x in iso.split("-"))
    months = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ]
    return f"{d} {months[mth - 1]} {y}"


# ----------------------------------------------------------------------------- rendering
def render(template: str, built: Built) -> str:
    """Fill the placeholders; an unknown placeholder is an error, never left in place."""
    missing = []

    def sub(m: re.Match) -> str:
        kind, name = m.group(1), m.group(2)
        src = built.values if kind == "value" else built.tables
        if name not in src:
            missing.append(m.group(0))
            return m.group(0)
        return src[name].rstrip("\n") if kind == "table" else src[name]

    out = PLACEHOLDER.sub(sub, template)
    out = re.sub(r"\n{3,}", "\n\n", out)  # placeholders that are empty leave no gap
    if missing:
        raise SystemExit("unknown placeholders in the template: " + ", ".join(sorted(set(missing))))
    return out


def build_text(bench: Path = BENCH, overlay: Path | None = None) -> tuple[str, Built]:
    """The paper's Markdown, in memory, and what it was built from."""
    sources = load_sources(bench, overlay)
    built = compute(sources)
    template = (PAPER / "paper.template.md").read_text(encoding="utf-8")
    return render(template, built), built


# ----------------------------------------------------------------------------- figures
def _mpl():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    matplotlib.rcParams.update(
        {
            "svg.hashsalt": "pathcredit-paper",
            "svg.fonttype": "path",
            "font.size": 8,
            "axes.titlesize": 8,
            "figure.dpi": 100,
        }
    )
    return plt


def _save(fig, out: Path, name: str) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / f"{name}.png", out / f"{name}.svg"]
    fig.savefig(paths[0], dpi=150, metadata={"Software": None})
    fig.savefig(paths[1], metadata={"Date": None, "Creator": None})
    import matplotlib.pyplot as plt

    plt.close(fig)
    return paths


def make_figures(built: Built, out: Path) -> list[Path]:
    """The paper's figures (PNG and SVG)."""
    import numpy as np

    plt = _mpl()
    written = []
    d = built.data

    # 1. ChannelAttribution's Monte Carlo error per channel on its own example data
    if "ca" in d:
        ca = d["ca"]
        order1 = sorted(ca[1], key=lambda r: -r["exact"])
        chans = [r["channel"] for r in order1]
        fig, ax = plt.subplots(figsize=(6.5, 2.6), layout="constrained")
        width = 0.27
        x = np.arange(len(chans))
        for i, k in enumerate((1, 2, 3)):
            rows = {r["channel"]: r for r in ca[k]}
            err = [100 * (rows[c]["ca"] - rows[c]["exact"]) / rows[c]["exact"] for c in chans]
            ax.bar(x + (i - 1) * width, np.clip(err, -40, 40), width, label=f"order {k}")
        ax.axhline(0, color="black", lw=0.6)
        labels = [f"{c}\n{100 * r['share']:.1f}%" for c, r in zip(chans, order1, strict=True)]
        ax.set_xticks(x, labels)
        ax.set_ylabel("ChannelAttribution error\n(% of exact credit, clipped at 40)")
        ax.set_ylim(-45, 45)
        ax.legend(ncols=3, fontsize=7, loc="upper left")
        written += _save(fig, out, "ca_error")

    # 2. speed: Markov vs ChannelAttribution by order; Shapley vs mta by channels
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(6.5, 2.5), layout="constrained")
    e2e = d["e2e"]
    orders = [r["order"] for r in e2e]
    a1.bar(orders, [r["ratio"] for r in e2e], color="C0", label="ratio of medians")
    a1.plot(orders, [r["ratio_paired_median"] for r in e2e], "o", color="C1", label="paired")
    a1.plot(orders, [r["ratio_min"] for r in e2e], "v", color="C3", label="worst repeat")
    a1.axhline(1, color="black", lw=0.6)
    a1.set_xticks(orders)
    a1.set_xlabel("Markov order")
    a1.set_ylabel("ChannelAttribution time /\npathcredit time")
    a1.legend(fontsize=7)
    sh = d["shapley"]
    n = [int(r["channels"]) for r in sh]

    def secs(cell):
        cell = re.sub(r" \(n=\d+\)", "", cell)
        return (float(cell.lstrip("> ")), cell.startswith(">"))

    for col, label, color in (
        ("pathcredit (s)", "pathcredit", "C0"),
        ("mta (s)", "mta", "C1"),
        ("brute force (s)", "brute force", "C2"),
    ):
        pts = [secs(r[col]) for r in sh]
        done = [(k, s) for k, (s, cut) in zip(n, pts, strict=True) if not cut]
        cut = [(k, s) for k, (s, c) in zip(n, pts, strict=True) if c]
        if done:
            a2.plot([k for k, _ in done], [y for _, y in done], "o-", color=color, label=label)
        if cut:
            a2.plot([cut[0][0]], [cut[0][1]], "^", color=color, mfc="none")
    a2.set_yscale("log")
    a2.set_xticks(n)
    a2.set_xlabel("channels (exact Shapley, zhao game)")
    a2.set_ylabel("seconds (open triangle: timed out)")
    a2.legend(fontsize=7)
    written += _save(fig, out, "speed")

    # 3. the grid: share error, models x worlds
    inc = d["grid_inc"]
    models = list(inc.index)
    fig, ax = plt.subplots(figsize=(6.5, 5.2), layout="constrained")
    im = ax.imshow(inc.values, aspect="auto", cmap="viridis_r", vmin=0)
    ax.set_xticks(range(inc.shape[1]), list(inc.columns), rotation=30, ha="right")
    ax.set_yticks(range(len(models)), [short(m) for m in models])
    for i in range(inc.shape[0]):
        for j in range(inc.shape[1]):
            val = inc.values[i, j]
            if not np.isnan(val):
                dark = val > 0.6 * np.nanmax(inc.values)
                ax.text(j, i, f"{val:.3f}", ha="center", va="center", fontsize=6,
                        color="white" if dark else "black")  # fmt: skip
    fig.colorbar(im, ax=ax, label="total variation distance (incremental truth)")
    written += _save(fig, out, "grid_error")

    # 4. convergence: error against journeys, one panel per world
    agg = d.get("agg")
    if agg is not None:
        worlds = sorted(agg["scenario"].unique())
        ncol = 3
        nrow = math.ceil(len(worlds) / ncol)
        fig, axes = plt.subplots(
            nrow, ncol, figsize=(6.5, 1.9 * nrow), sharex=True, layout="constrained"
        )
        axes = np.atleast_1d(axes).ravel()
        sm = agg[(agg.metric == ERR) & (agg["mode"] == "sample")]
        for ax, w in zip(axes[: len(worlds)], worlds, strict=True):
            truth = "removal" if w == "markov" else "incremental"
            for i, m in enumerate(CONVERGENCE_MODELS):
                q = sm[(sm.scenario == w) & (sm.model == m) & (sm.truth == truth)].sort_values(
                    "size"
                )
                if q.empty:
                    continue
                ax.plot(q["size"], q["mean"], "o-", ms=3, color=f"C{i}", label=short(m))
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_title(f"{w} ({truth} truth)")
        for ax in axes[len(worlds) :]:
            ax.set_visible(False)
        for ax in axes[-ncol:]:
            ax.set_xlabel("journeys")
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=3, fontsize=7)
        written += _save(fig, out, "convergence")
    return written


# ----------------------------------------------------------------------------- html
def render_html(md_path: Path, html_path: Path) -> None:
    """``pandoc --citeproc`` from pypandoc-binary (not a project dependency)."""
    try:
        import pypandoc
    except ImportError as exc:  # pragma: no cover - optional tool
        raise SystemExit(
            "--html needs pandoc: .venv/bin/pip install pypandoc-binary (not a project dependency)"
        ) from exc
    cmd = [
        pypandoc.get_pandoc_path(),
        md_path.name,
        "--from=markdown",
        "--to=html5",
        "--standalone",
        "--citeproc",
        "--bibliography=paper.bib",
        "--metadata=link-citations:true",
        "--mathml",
        f"--output={html_path.resolve()}",
    ]
    subprocess.run(cmd, cwd=md_path.parent, check=True)


# ----------------------------------------------------------------------------- reruns
def rerun(level: str, out: Path, ca_python: str | None, mta_python: str | None) -> Path:
    """Rerun the benchmarks the paper reads into ``out/benchmarks`` (the committed ones stay).

    ``quick``: the grid with 2 seeds and sizes up to 10^5, the calibration with 10
    replicates, the Bayesian speed with 1 repeat. ``full``: the committed commands.
    The peer comparisons run only when their interpreters are given.
    """
    bench = out / "benchmarks"
    py = sys.executable
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    quick = level == "quick"
    cmds: list[tuple[list[str], Path | None]] = []
    grid = [py, str(BENCH / "attribution" / "run.py"), "--out", str(bench / "attribution/results")]
    if quick:
        grid += ["--seeds", "2", "--sizes", "1000", "10000", "100000"]
    cmds.append((grid, None))
    cal = BENCH / "bayesian" / "calibration.py"
    reps = ["--replicates", "10"] if quick else []
    for extra, name in (
        (["--orders", "1", "2"], "calibration_simulate.json"),
        (["--world", "own", "--orders", "1", "2"], "calibration_own.json"),
        (["--orders", "2", "--concentration", "1"], "calibration_simulate_k1.json"),
    ):
        cmds.append(([py, str(cal), *extra, *reps, "--out", str(bench / "bayesian" / name)], None))
    speed = [py, str(BENCH / "bayesian" / "bench_speed.py"), "--bootstrap", "1000"]
    speed += ["--repeats", "1" if quick else "3", "--out", str(bench / "bayesian/speed.json")]
    cmds.append((speed, None))
    o3 = [py, str(BENCH / "bayesian" / "bench_speed.py"), "--repeats", "1", "--orders", "3"]
    o3 += ["--draws", "20" if quick else "200", "--out", str(bench / "bayesian/speed_order3.json")]
    cmds.append((o3, None))
    if ca_python:
        e2e = [py, str(BENCH / "markov" / "bench_markov.py"), "--e2e", "--ca-python", ca_python]
        e2e += ["--repeats", "3" if quick else "7", "--out", str(bench / "markov/results_e2e.json")]
        cmds.append((e2e, None))
    if mta_python:
        shp = [py, str(BENCH / "shapley" / "bench_shapley.py"), "--mta-python", mta_python]
        shp += ["--repeats", "2" if quick else "5", "--timeout", "60"]
        cmds.append((shp, bench / "shapley" / "bench_shapley.out"))
    for cmd, stdout in cmds:
        (bench / "attribution/results").mkdir(parents=True, exist_ok=True)
        (bench / "bayesian").mkdir(parents=True, exist_ok=True)
        (bench / "markov").mkdir(parents=True, exist_ok=True)
        (bench / "shapley").mkdir(parents=True, exist_ok=True)
        print("+", " ".join(cmd), flush=True)
        t0 = time.perf_counter()
        res = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=stdout is not None, text=True)
        if res.returncode:
            raise SystemExit(f"failed ({res.returncode}): {' '.join(cmd)}")
        if stdout is not None:
            stdout.write_text(res.stdout, encoding="utf-8")
        print(f"  {time.perf_counter() - t0:.0f} s", flush=True)
    return bench


# ----------------------------------------------------------------------------- main
def write_outputs(text: str, built: Built, out: Path, *, figures: bool = True) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    tables = out / "tables"
    tables.mkdir(exist_ok=True)
    for name, table in sorted(built.tables.items()):
        p = tables / f"{name}.md"
        p.write_text(table, encoding="utf-8")
        written.append(p)
    if figures:
        written += make_figures(built, out / "figures")
    p = out / "paper.md"
    p.write_text(text, encoding="utf-8")
    written.append(p)
    if out == PAPER and built.readme:  # a rerun's paper leaves the committed README alone
        old = GRID_README.read_text(encoding="utf-8")
        new = fill_readme(old, built.readme)
        if new != old:
            GRID_README.write_text(new, encoding="utf-8")
            written.append(GRID_README)
    return written


def stale(text: str, built: Built, out: Path = PAPER) -> list[str]:
    """Files under ``out`` that differ from a fresh build (paper.md and the tables)."""
    diff = []
    if (out / "paper.md").read_text(encoding="utf-8") != text:
        diff.append("paper.md")
    for name, table in built.tables.items():
        p = out / "tables" / f"{name}.md"
        if not p.exists() or p.read_text(encoding="utf-8") != table:
            diff.append(f"tables/{name}.md")
    if out == PAPER and built.readme:
        old = GRID_README.read_text(encoding="utf-8")
        if fill_readme(old, built.readme) != old:
            diff.append(str(GRID_README.relative_to(ROOT)))
    return diff


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--html", action="store_true", help="also render paper.html with pandoc")
    ap.add_argument("--check", action="store_true", help="exit 1 if committed outputs are stale")
    ap.add_argument("--no-figures", action="store_true")
    ap.add_argument(
        "--rerun",
        choices=["quick", "full"],
        help="rerun the benchmarks into paper/rerun/ and build the paper there",
    )
    ap.add_argument("--ca-python", help="with --rerun: ChannelAttribution's interpreter")
    ap.add_argument("--mta-python", help="with --rerun: mta's interpreter")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    out, overlay = PAPER, None
    if args.rerun:
        out = PAPER / "rerun"
        overlay = rerun(args.rerun, out, args.ca_python, args.mta_python)
        template = PAPER / "paper.template.md"
        shutil.copy(PAPER / "paper.bib", out / "paper.bib")
        shutil.copy(template, out / "paper.template.md")
    text, built = build_text(BENCH, overlay)
    for line in _dirty_inputs():
        print(f"warning: input differs from the commit (the paper reads the working tree): {line}")
    if args.check:
        diff = stale(text, built)
        if diff:
            print("stale (rerun paper/build.py):", ", ".join(diff))
            return 1
        print("paper.md and tables are up to date")
        return 0
    written = write_outputs(text, built, out, figures=not args.no_figures)
    if args.html:
        render_html(out / "paper.md", out / "paper.html")
        written.append(out / "paper.html")
    for p in written:
        print("wrote", p.relative_to(ROOT))
    print(f"{time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
