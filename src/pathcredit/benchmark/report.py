"""The benchmark's outputs: tidy table, Markdown summary, figures, machine description."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy
import numpy as np

from .._version import __version__

__all__ = [
    "BenchmarkResult",
    "machine_info",
    "HEADLINE_METRIC",
    "SECONDARY_METRIC",
    "RECOVERY_THRESHOLD",
]

#: The headline error of a model's shares: total variation distance, half the sum of the
#: absolute differences from the true shares, i.e. the share of credit put on the wrong
#: channels. The demo, the summaries, the figures and the paper all lead with it, so one
#: model's error reads the same everywhere; the mean absolute error per channel
#: (:data:`SECONDARY_METRIC`, the distance divided by half the number of channels) is
#: shown beside it. One measure matters because the two differ by that factor (three for
#: six channels): quoting one here and the other there makes a model look three times
#: better or worse.
HEADLINE_METRIC = "tv_distance"
#: The secondary error column: mean absolute error of the channel shares.
SECONDARY_METRIC = "share_mae"
#: Total variation distance below which a model is said to recover the truth: 6 % of the
#: credit on the wrong channels, which is a mean absolute error of 0.02 per channel in the
#: benchmark's six-channel worlds (the threshold the grid was designed with).
RECOVERY_THRESHOLD = 0.06
#: Coverage of nominal 90 % intervals called calibrated: within five points of nominal.
COVERAGE_BAND = (0.85, 0.95)


def machine_info() -> dict[str, Any]:
    """Where a benchmark ran: platform, CPUs, memory, Python and library versions."""
    import pandas
    import scipy

    mem = None
    try:
        with open("/proc/meminfo") as f:
            mem = f.readline().split()[1] + " kB"
    except OSError:
        pass
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "platform": platform.platform(),
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "memory": mem,
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "pandas": pandas.__version__,
        "pathcredit": __version__,
    }


@dataclass
class BenchmarkResult:
    """What :func:`run_benchmark` returns.

    Attributes
    ----------
    table : pandas.DataFrame
        Tidy: ``scenario, mode, size, seed, model, model_name, truth, metric, value, note``.
    wall_time_s : float
    settings : dict
    """

    table: Any
    wall_time_s: float = float("nan")
    settings: dict = field(default_factory=dict)

    # -------------------------------------------------------------- views
    def errors(self):
        """Rows of models that could not run (``metric == "error"``), with the reason."""
        t = self.table
        return t[t.metric == "error"][["scenario", "mode", "size", "seed", "model", "note"]]

    def pivot(
        self,
        metric: str = HEADLINE_METRIC,
        *,
        truth: str | None = "incremental",
        mode: str = "sample",
        size: int | None = None,
    ):
        """Mean of ``metric`` over seeds, models as rows and scenarios as columns.

        ``size`` defaults to the largest sampled size (ignored for population cells).
        A model that failed on every seed of a scenario shows NaN.
        """
        t = self.table
        t = t[t["mode"] == mode]
        if mode == "sample" and len(t):
            size = int(t["size"].max()) if size is None else size
            t = t[t["size"] == size]
        sel = t[(t.metric == metric) & ((t.truth == truth) if truth else t.truth.isna())]
        if not len(sel):
            return sel.pivot_table(index="model", columns="scenario", values="value")
        return sel.pivot_table(
            index="model", columns="scenario", values="value", aggfunc="mean", dropna=False
        )

    def by_size(self, metric: str = HEADLINE_METRIC, *, truth: str = "incremental"):
        """Mean and standard deviation of ``metric`` over seeds per scenario, model and size."""
        t = self.table
        sel = t[(t["mode"] == "sample") & (t.metric == metric) & (t.truth == truth)]
        return (
            sel.groupby(["scenario", "model", "size"])["value"]
            .agg(["mean", "std", "count"])
            .reset_index()
        )

    def summary(self, *, truth: str = "incremental") -> str:
        """Markdown: share error per model and scenario (largest sample and population),
        the best model per scenario, failures.

        The error is :data:`HEADLINE_METRIC` (total variation distance); each table of it
        is followed by the same table in :data:`SECONDARY_METRIC` (mean absolute error).
        """
        lines = [f"# Attribution benchmark: share error against the {truth} truth", ""]
        s = self.settings
        if s:
            lines += [
                f"Scenarios: {', '.join(s.get('scenarios', []))}. Sizes: "
                f"{', '.join(f'{n:,}' for n in s.get('sizes', []))} journeys; seeds: "
                f"{len(s.get('seeds', []))}; population cells: {s.get('population')}. "
                f"Wall time {self.wall_time_s:.0f} s with {s.get('n_jobs')} worker(s).",
                "",
            ]
        lines += [
            "Cells are the total variation distance between the estimated and the true "
            "channel shares (half the sum of the absolute differences: the share of credit put "
            "on the wrong channels; 0.06 = six percentage points), mean over seeds; `*` marks "
            f"errors below {RECOVERY_THRESHOLD}. Below each table: the mean absolute error per "
            "channel (`share_mae`), the secondary measure.",
            "",
        ]
        for mode in ("sample", "population"):
            p = self.pivot(HEADLINE_METRIC, truth=truth, mode=mode)
            if not p.size:
                continue
            if mode == "sample":
                size = int(self.table[self.table["mode"] == "sample"]["size"].max())
                lines += [f"## Sampled, {size:,} journeys", ""]
            else:
                lines += ["## Population (expected counts, no sampling noise)", ""]
            lines += [_markdown(p), ""]
            best = p.idxmin(axis=0)
            lines += [
                "Nearest the truth: "
                + "; ".join(
                    f"{sc}: {best[sc]} ({p.loc[best[sc], sc]:.3f})"
                    for sc in p.columns
                    if isinstance(best[sc], str)
                )
                + ".",
                "",
            ]
            lines += [f"Recovered (error below {RECOVERY_THRESHOLD}):", ""]
            for sc in p.columns:
                ok = p.index[p[sc] < RECOVERY_THRESHOLD].tolist()
                lines.append(f"- {sc}: {', '.join(ok) if ok else 'no model'}")
            lines.append("")
            mae = self.pivot(SECONDARY_METRIC, truth=truth, mode=mode)
            if mae.size:
                lines += [
                    "Mean absolute error per channel (`share_mae`), the same cells:",
                    "",
                    _markdown(mae, star=False),
                    "",
                ]
        auc = self.pivot("auc", truth=None)
        if auc.size:
            lift = self.pivot("top_decile_lift", truth=None)
            lines += [
                "## Predicting conversion (held-out, largest sampled size)",
                "",
                "ROC AUC of P(convert | last state), Anderl et al. (2016):",
                "",
                _markdown(auc, star=False),
                "",
                "Top-decile lift:",
                "",
                _markdown(lift, star=False),
                "",
            ]
        lines += self._interval_summary(truth)
        err = self.errors()
        if len(err):
            lines += ["## Models that could not run", ""]
            g = err.groupby(["model", "scenario"])["note"].agg(["count", "first"]).reset_index()
            for r in g.itertuples():
                lines.append(f"- {r.model} on {r.scenario} ({r.count} cells): {r.first}")
            lines.append("")
        return "\n".join(lines)

    def _interval_summary(self, truth: str) -> list[str]:
        """Markdown tables of the coverage and width of the interval models' intervals."""
        t = self.table
        if not len(t) or not (t.metric == "coverage").any():
            return []
        lo, hi = COVERAGE_BAND
        lines = [
            "## Interval coverage",
            "",
            "Interval models (Bayesian models: posterior highest-density intervals; "
            f"`... (bootstrap)`: percentile, {self.settings.get('bootstrap_resamples', 'n')} "
            "resamples): the fraction of "
            f"channels x seeds whose 90 % interval contains the {truth} true share "
            f"(0.90 if the intervals are honest; `*` marks {lo:.2f}-{hi:.2f}), and the mean "
            "interval width (share units). An interval only measures sampling noise: a "
            "model whose point estimate is biased covers less as the data grow.",
            "",
        ]

        def star(v):
            return lo <= v <= hi

        sampled = sorted(t[(t["mode"] == "sample") & (t.metric == "coverage")]["size"].unique())
        for size in sampled:
            p = self.pivot("coverage", truth=truth, size=int(size))
            lines += [f"### Coverage, {int(size):,} journeys", "", _markdown(p, star=star), ""]
        p = self.pivot("coverage", truth=truth, mode="population")
        if p.size:
            lines += [
                "### Coverage, population (one cell: 0, 1/k, ... of its k channels)",
                "",
                _markdown(p, star=star),
                "",
            ]
        for size in sampled[:1] + sampled[-1:] if len(sampled) > 1 else sampled:
            p = self.pivot("width", truth=truth, size=int(size))
            lines += [f"### Mean width, {int(size):,} journeys", "", _markdown(p, star=False), ""]
        return lines

    # -------------------------------------------------------------- figures
    def plot_coverage_vs_size(self, *, truth: str = "incremental", models=None, axes=None):
        """Coverage of the 90 % intervals against journeys (log scale), one panel per scenario.

        The dotted line is the nominal 0.9; the grey band the calibrated 0.85-0.95.
        """
        import matplotlib.pyplot as plt

        d = self.by_size("coverage", truth=truth)
        scen = sorted(d.scenario.unique())
        models = sorted(d.model.unique()) if models is None else list(models)
        axes = _scenario_axes(len(scen), axes)
        cmap = plt.get_cmap("tab10" if len(models) <= 10 else "tab20")
        for k, sc in enumerate(scen):
            ax = axes[k]
            ax.axhspan(*COVERAGE_BAND, color="0.9", zorder=0)
            ax.axhline(0.9, color="grey", ls=":", lw=1)
            for i, m in enumerate(models):
                g = d[(d.scenario == sc) & (d.model == m)]
                if len(g):
                    ax.plot(g["size"], g["mean"], marker="o", ms=3, lw=1.2,
                            color=cmap(i % cmap.N), label=m)  # fmt: skip
            ax.set_xscale("log")
            ax.set_ylim(-0.03, 1.03)
            ax.set_title(sc)
            ax.set_xlabel("journeys")
        for ax in axes[len(scen) :]:
            ax.set_visible(False)
        axes[0].set_ylabel(f"coverage of 90% intervals ({truth})")
        handles, labels = axes[0].get_legend_handles_labels()
        axes[0].figure.legend(handles, labels, loc="outside right center", fontsize=7)
        return axes

    def _coverage_figure(self, truth: str) -> Callable[[], Any]:
        return lambda: self.plot_coverage_vs_size(truth=truth)[0]

    def plot_error_by_model(self, *, truth: str = "incremental", mode: str = "sample", ax=None):
        """Heatmap of the share error (total variation distance), models x scenarios."""
        import matplotlib.pyplot as plt

        p = self.pivot(HEADLINE_METRIC, truth=truth, mode=mode)
        if ax is None:
            _, ax = plt.subplots(figsize=(1.1 * p.shape[1] + 3, 0.35 * p.shape[0] + 1.5))
        im = ax.imshow(p.to_numpy(), cmap="viridis_r", aspect="auto", vmin=0)
        ax.set_xticks(range(p.shape[1]), p.columns, rotation=45, ha="right")
        ax.set_yticks(range(p.shape[0]), p.index)
        for (i, j), v in np.ndenumerate(p.to_numpy()):
            if np.isfinite(v):
                ax.text(
                    j,
                    i,
                    f"{v:.3f}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if v > np.nanmax(p.to_numpy()) / 2 else "black",
                )
        ax.figure.colorbar(im, ax=ax, label="total variation distance (share of credit misplaced)")
        sampled = self.table[self.table["mode"] == "sample"]["size"]
        size = int(sampled.max()) if len(sampled) else 0
        where = "population" if mode == "population" else f"{size:,} journeys"
        ax.set_title(f"Share error against the {truth} truth ({where})")
        return ax

    def plot_error_vs_size(self, *, truth: str = "incremental", models=None, axes=None):
        """Share error (total variation distance) against journeys (log scale), one panel per
        scenario; the dotted line is the recovery threshold."""
        import matplotlib.pyplot as plt

        d = self.by_size(HEADLINE_METRIC, truth=truth)
        scen = sorted(d.scenario.unique())
        models = sorted(d.model.unique()) if models is None else list(models)
        axes = _scenario_axes(len(scen), axes)
        cmap = plt.get_cmap("tab10")
        styles = ["-", "--", ":", "-."]
        for k, sc in enumerate(scen):
            ax = axes[k]
            for i, m in enumerate(models):
                g = d[(d.scenario == sc) & (d.model == m)]
                if len(g):
                    ax.plot(
                        g["size"],
                        g["mean"],
                        marker="o",
                        ms=3,
                        lw=1.2,
                        color=cmap(i % 10),
                        ls=styles[(i // 10) % len(styles)],
                        label=m,
                    )
            ax.axhline(RECOVERY_THRESHOLD, color="grey", ls=":", lw=1)
            ax.set_xscale("log")
            ax.set_title(sc)
            ax.set_xlabel("journeys")
        for ax in axes[len(scen) :]:
            ax.set_visible(False)
        axes[0].set_ylabel("total variation distance")
        handles, labels = axes[0].get_legend_handles_labels()
        axes[0].figure.legend(handles, labels, loc="outside right center", fontsize=7)
        return axes

    # -------------------------------------------------------------- files
    def save(self, out: str | os.PathLike, *, figures: bool = True) -> Path:
        """Write ``results.parquet``, ``results.csv``, ``summary.md``, ``run.json`` and figures."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        self.table.to_parquet(out / "results.parquet", index=False)
        self.table.to_csv(out / "results.csv", index=False)
        (out / "run.json").write_text(
            json.dumps(
                {
                    "settings": self.settings,
                    "wall_time_s": self.wall_time_s,
                    "machine": machine_info(),
                    # when saved; settings["source_at_start"]: when the run began
                    "commit": _git_commit(),
                    "uncommitted_source_files": _git_dirty(),
                },
                indent=2,
            )
            + "\n"
        )
        return self.write_report(out, figures=figures)

    def write_report(self, out: str | os.PathLike, *, figures: bool = True) -> Path:
        """Write ``summary.md`` (both truths) and the figures, not the table or ``run.json``.

        What :meth:`save` writes besides the data; also the way to redraw a committed
        grid's report from its ``results.parquet`` after the report changes (``run.py
        --report-only``), without rerunning the grid.
        """
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "summary.md").write_text(
            self.summary() + "\n\n" + self.summary(truth="removal") + "\n"
        )
        if figures and len(self.table):
            import matplotlib.pyplot as plt

            t = self.table
            sampled = t[t["mode"] == "sample"]
            several = sampled["size"].nunique() > 1
            figs: list[tuple[str, Callable[[], Any]]] = []
            if (t.metric == HEADLINE_METRIC).any():
                figs.append(("error_by_model.png", lambda: self.plot_error_by_model()))
                if (t[t.metric == HEADLINE_METRIC]["mode"] == "population").any():
                    figs.append(
                        (
                            "error_by_model_population.png",
                            lambda: self.plot_error_by_model(mode="population"),
                        )
                    )
                if several and (sampled.metric == HEADLINE_METRIC).any():
                    figs.append(("error_vs_size.png", lambda: self.plot_error_vs_size()[0]))
            if several and (sampled.metric == "coverage").any():
                for truth in ("incremental", "removal"):
                    figs.append((f"coverage_vs_size_{truth}.png", self._coverage_figure(truth)))
            for name, draw in figs:
                ax = draw()
                ax.figure.savefig(out / name, dpi=110, bbox_inches="tight")
                plt.close(ax.figure)
        return out


def _scenario_axes(n_scenarios: int, axes=None):
    """A flat array of axes, one per scenario (three per row, shared y) unless given."""
    import matplotlib.pyplot as plt

    if axes is None:
        ncol = min(3, max(n_scenarios, 1))
        nrow = max(int(np.ceil(n_scenarios / ncol)), 1)
        _, axes = plt.subplots(
            nrow,
            ncol,
            figsize=(4.2 * ncol + 3, 3.2 * nrow),
            squeeze=False,
            sharey=True,
            layout="constrained",
        )
    return np.asarray(axes).ravel()


def _git_commit() -> str | None:
    """The checked-out commit of the working directory's repository, if any."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def _git_dirty() -> list[str] | None:
    """Tracked files under ``src/`` that differ from the commit (the run used them as they were)."""
    try:
        out = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "src"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return [line[3:] for line in out.stdout.splitlines() if line.strip()]


def _markdown(p, star=True) -> str:
    """A Markdown table of a pivot; ``star``: True (below the recovery threshold), False,
    or a predicate of the value."""
    if star is True:
        star = _recovered
    cols = list(p.columns)
    head = "| model | " + " | ".join(cols) + " |"
    sep = "|---|" + "---:|" * len(cols)
    rows = []
    for m, r in p.iterrows():
        cells = []
        for c in cols:
            v = r[c]
            cells.append(
                "error" if not np.isfinite(v) else f"{v:.3f}{'*' if star and star(v) else ''}"
            )
        rows.append(f"| {m} | " + " | ".join(cells) + " |")
    return "\n".join([head, sep, *rows])


def _recovered(v: float) -> bool:
    return v < RECOVERY_THRESHOLD
