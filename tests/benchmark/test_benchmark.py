"""The benchmark grid: metrics by hand, every registered model picked up, failures recorded,
cache reuse, determinism, outputs; the CLI commands."""

import json
import warnings

import numpy as np
import pandas as pd
import pytest

import pathcredit
from pathcredit.benchmark import (
    TABLE_COLUMNS,
    Cell,
    ModelEntry,
    default_models,
    make_grid,
    run_benchmark,
    run_cell,
    share_metrics,
)


def test_share_metrics_by_hand():
    m = share_metrics([0.5, 0.3, 0.2], [0.2, 0.3, 0.5], [0.4, 0.1, 0.1], [0.6, 0.35, 0.3])
    assert m["share_mae"] == pytest.approx(0.2)
    assert m["tv_distance"] == pytest.approx(0.3)
    assert m["max_error"] == pytest.approx(0.3)
    assert m["spearman"] == pytest.approx(-1)
    assert m["kendall"] == pytest.approx(-1)
    assert m["coverage"] == pytest.approx(1 / 3)
    assert m["width"] == pytest.approx((0.2 + 0.25 + 0.2) / 3)
    assert np.isnan(share_metrics([0.5, 0.5], [0.2, 0.8])["spearman"])


def test_default_models_cover_the_registry():
    from pathcredit.benchmark import OPT_IN_MODELS

    labels = [e.label for e in default_models()]
    for name in pathcredit.available_models():
        assert (name in labels) == (name not in OPT_IN_MODELS), name
    for name in OPT_IN_MODELS:  # run when named
        if name in pathcredit.available_models():
            assert [e.label for e in default_models([name], bootstrap=0)] == [name]
    assert "markov(order=2)" in labels
    assert len(set(labels)) == len(labels)


def test_grid_shape():
    cells = make_grid(["additive", "markov"], sizes=[100, 1000], seeds=[0, 1, 2])
    assert len(cells) == 2 * 2 * 3 + 2
    assert Cell("markov", "population", 10**6, 0) in cells
    with pytest.raises(pathcredit.InputError, match="unknown scenario"):
        make_grid(["nope"])


def test_every_registered_model_gets_rows_or_an_error_row(tmp_path):
    r = run_benchmark(
        ["decay"],
        sizes=[3000],
        seeds=[0],
        population=False,
        n_jobs=1,
        progress=False,
        cache_dir=tmp_path,
    )
    t = r.table
    assert list(t.columns) == TABLE_COLUMNS
    for e in default_models():
        rows = t[t.model == e.label]
        assert len(rows), e.label
        want = {"coverage", "width", "runtime_s"} if e.bootstrap else {"share_mae", "runtime_s"}
        assert (rows.metric == "error").any() or want <= set(rows.metric)
    td = t[(t.model == "time_decay") & (t.metric == "share_mae")]
    assert (td.note.str.contains("touch times")).all()
    # interval models report coverage
    if "bayesian_markov" in pathcredit.available_models():
        assert {"coverage", "width"} <= set(t[t.model == "bayesian_markov"].metric)


def test_failures_are_recorded_not_dropped():
    # a model parameter that fails: the cell records the error
    bad = ModelEntry("markov", (("order", 99),))
    rows = run_cell(Cell("additive", "sample", 500, 0), [bad, ModelEntry("linear")])
    err = rows[rows.metric == "error"]
    assert list(err.model) == ["markov(order=99)"]
    assert "order" in err.note.iloc[0]
    assert (rows.model == "linear").any()


def test_cache_skips_finished_models_and_is_deterministic(tmp_path, monkeypatch):
    cell = Cell("synergy", "sample", 2000, 3)
    a = run_cell(cell, [ModelEntry("linear")], cache_dir=tmp_path)
    files = list(tmp_path.glob("*.parquet"))
    assert len(files) == 1
    # a new model is added to the same file; the old rows are reused unchanged
    b = run_cell(cell, [ModelEntry("linear"), ModelEntry("markov")], cache_dir=tmp_path)
    pd.testing.assert_frame_equal(b[b.model == "linear"].reset_index(drop=True), a)
    import pathcredit.benchmark.runner as runner_mod

    def boom(*args, **kw):
        raise AssertionError("simulated again")

    monkeypatch.setattr(runner_mod, "simulate_journeys", boom)
    c = run_cell(cell, [ModelEntry("linear"), ModelEntry("markov")], cache_dir=tmp_path)
    pd.testing.assert_frame_equal(c, b)
    monkeypatch.undo()
    fresh = run_cell(cell, [ModelEntry("linear")])
    cols = [c for c in TABLE_COLUMNS if c != "value"]
    keep = ~fresh.metric.isin(["runtime_s", "peak_memory_mb"])
    pd.testing.assert_frame_equal(
        fresh[keep][cols].reset_index(drop=True), a[keep][cols].reset_index(drop=True)
    )
    np.testing.assert_array_equal(fresh[keep].value.to_numpy(), a[keep].value.to_numpy())


def test_population_cell_markov_recovers_removal_truth():
    rows = run_cell(Cell("markov", "population", 10**5, 0), [ModelEntry("markov")])
    mae = rows[(rows.metric == "share_mae") & (rows.truth == "removal")].value.iloc[0]
    assert mae < 0.003
    pred = rows.set_index("metric").value
    assert 0.5 < pred["auc"] < 1 and pred["top_decile_lift"] > 1 and pred["log_loss"] > 0


def test_predictive_metrics_by_hand():
    from pathcredit.benchmark import prediction_metrics

    m = prediction_metrics([0.5, 0.2, 0.2, 0.1], [3, 1, 1, 0], [7, 9, 9, 10])
    # brute force over the 40 journeys: 3 x 30 + 1 x 10 ... pairs, ties count half
    assert m["auc"] == pytest.approx(0.7571428571428571)
    # top 4 journeys all come from the 0.5 group (rate 0.3); overall rate 5 / 40
    assert m["top_decile_lift"] == pytest.approx(0.3 / 0.125)
    ll = (
        -(
            3 * np.log(0.5)
            + 7 * np.log(0.5)
            + 2 * (np.log(0.2) + 9 * np.log(0.8))
            + 10 * np.log(0.9)
        )
        / 40
    )
    assert m["log_loss"] == pytest.approx(ll)


def test_last_state_predictions():
    from pathcredit.benchmark.metrics import last_state_predictions

    train = pathcredit.Journeys.from_paths(
        [["a", "b"], ["b"], ["a"]], conversions=[1, 1, 0], nulls=[1, 3, 2]
    )
    test = pathcredit.Journeys.from_paths(
        [["b"], ["c", "a"], ["c"]], conversions=[1, 1, 0], nulls=[1, 1, 1]
    )
    # order 1: last state b -> 2 / 6; a -> 0 / 2; c unseen -> overall 2 / 8
    np.testing.assert_allclose(last_state_predictions(train, test, 1), [2 / 6, 0, 0.25])
    # order 2: "a > b" and "b" differ
    np.testing.assert_allclose(last_state_predictions(train, test, 2), [1 / 4, 0.25, 0.25])


@pytest.mark.slow
def test_parallel_runs_match_inline(tmp_path):
    kw = dict(sizes=[2000], seeds=[0, 1], population=False, progress=False)
    models = ["linear", "markov"]
    a = run_benchmark(["additive", "funnel"], models, n_jobs=1, **kw).table
    b = run_benchmark(["additive", "funnel"], models, n_jobs=2, **kw).table
    keep = ~a.metric.isin(["runtime_s", "peak_memory_mb"])
    pd.testing.assert_frame_equal(a[keep].reset_index(drop=True), b[keep].reset_index(drop=True))


@pytest.mark.slow
def test_process_pool_fallback_without_joblib(monkeypatch):
    import builtins

    real = builtins.__import__

    def no_joblib(name, *args, **kw):
        if name == "joblib":
            raise ImportError
        return real(name, *args, **kw)

    monkeypatch.setattr(builtins, "__import__", no_joblib)
    r = run_benchmark(
        ["additive"],
        ["linear"],
        sizes=[500, 600],
        seeds=[0],
        population=False,
        n_jobs=2,
        progress=False,
    )
    assert set(r.table["size"]) == {500, 600}


def _head():
    import subprocess

    out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True)
    return out.stdout.strip() or None


@pytest.mark.slow
def test_outputs(tmp_path):
    head_before = _head()
    r = run_benchmark(
        ["additive", "confounded"],
        ["last_touch", "linear", "markov"],
        sizes=[1000, 3000],
        seeds=[0],
        population=True,
        n_jobs=1,
        progress=False,
    )
    out = r.save(tmp_path / "res")
    for f in (
        "results.parquet",
        "results.csv",
        "summary.md",
        "run.json",
        "error_by_model.png",
        "error_vs_size.png",
        "error_by_model_population.png",
    ):
        assert (out / f).exists(), f
    back = pd.read_parquet(out / "results.parquet")
    assert len(back) == len(r.table)
    md = (out / "summary.md").read_text()
    assert "| model |" in md and "confounded" in md and "Population" in md
    info = json.loads((out / "run.json").read_text())
    assert info["machine"]["cpu_count"] >= 1
    # the checkout the run started from, recorded before any cell ran
    assert info["settings"]["source_at_start"]["commit"] in (head_before, _head())


def test_bad_n_jobs():
    with pytest.raises(pathcredit.ModelError, match="n_jobs"):
        run_benchmark(["additive"], ["linear"], sizes=[100], seeds=[0], n_jobs=0)


# ------------------------------------------------------------ interval coverage
def test_bootstrap_entries_labels_and_defaults():
    from pathcredit.benchmark import BOOTSTRAP_RESAMPLES, DEFAULT_BOOTSTRAP

    assert ModelEntry("markov", (("order", 2),), BOOTSTRAP_RESAMPLES).label == (
        "markov(order=2) (bootstrap)"
    )
    assert ModelEntry("linear", (), 50).label == "linear (bootstrap 50)"
    labels = [e.label for e in default_models()]
    for name in DEFAULT_BOOTSTRAP:
        assert name in labels and f"{name} (bootstrap)" in labels
    assert not any("bootstrap" in e.label for e in default_models(bootstrap=0))
    # a model outside the bootstrap set brings no bootstrap entry
    assert [e.label for e in default_models(["shao_li"])] == ["shao_li"]
    for bad in (1, -3, 2.5, True):
        with pytest.raises(pathcredit.ModelError, match="bootstrap"):
            default_models(bootstrap=bad)


def test_bootstrap_entry_coverage_recomputed_by_hand():
    from pathcredit.simulate import simulate_journeys

    cell = Cell("markov", "sample", 4000, 3)
    rows = run_cell(cell, [ModelEntry("linear", (), 60), ModelEntry("linear")])
    boot = rows[rows.model == "linear (bootstrap 60)"]
    # only the interval metrics: the plug-in estimate is the model's own row
    assert set(boot.metric) == {"coverage", "width", "runtime_s", "peak_memory_mb"}
    assert set(rows[rows.model == "linear"].metric) >= {"share_mae", "kendall"}
    assert not (rows[rows.model == "linear"].metric == "coverage").any()
    # the same bootstrap run by hand: same simulation, same seed
    sim = simulate_journeys("markov", 4000, seed=3)
    r = pathcredit.bootstrap(sim.journeys, model="linear", n_resamples=60, seed=3)
    pos = [r.channels.index(c) for c in sim.channels]
    lo, hi = r.lower["share"][pos], r.upper["share"][pos]
    for truth in ("incremental", "removal"):
        tru = sim.truth.share(truth)
        got = boot[(boot.truth == truth)].set_index("metric").value
        inside = sum(lo[i] <= tru[i] <= hi[i] for i in range(len(tru)))
        assert got["coverage"] == pytest.approx(inside / len(tru))
        assert got["width"] == pytest.approx(np.mean(hi - lo))


def test_bayesian_markov_coverage_rows():
    if "bayesian_markov" not in pathcredit.available_models():
        pytest.fail("bayesian_markov is registered")
    rows = run_cell(Cell("markov", "sample", 3000, 0), [ModelEntry("bayesian_markov")])
    cov = rows[(rows.metric == "coverage") & (rows.truth == "removal")].value.iloc[0]
    from pathcredit.simulate import simulate_journeys

    sim = simulate_journeys("markov", 3000, seed=0)
    r = pathcredit.attribute(sim.journeys, model="bayesian_markov")
    pos = [r.channels.index(c) for c in sim.channels]
    tru = sim.truth.share("removal")
    lo, hi = r.lower["share"][pos], r.upper["share"][pos]
    assert cov == pytest.approx(np.mean((lo <= tru) & (tru <= hi)))


def test_confounded_intervals_miss_the_truth():
    # retargeting and brand search get credit whose truth is zero: with 10^5 journeys the
    # intervals are narrow around a biased estimate and most of them miss
    rows = run_cell(Cell("confounded", "sample", 100_000, 0), [ModelEntry("markov", (), 100)])
    cov = rows[(rows.metric == "coverage") & (rows.truth == "incremental")].value.iloc[0]
    width = rows[(rows.metric == "width") & (rows.truth == "incremental")].value.iloc[0]
    assert cov <= 0.5
    assert width < 0.05


def test_widened_intervals_are_noted():
    from pathcredit.benchmark.runner import _widened

    r = pathcredit.AttributionResult("m", {}, ["A", "B"], [1.0, 1.0], total_conversions=2)
    assert _widened(r) == []
    boot = r.replace(extras={"bootstrap": {"widened": {"share": ["B", "A"]}}})
    assert _widened(boot) == ["A", "B"]
    bayes = r.replace(extras={"widened": {"conversions": ["A"], "share": ["B"]}})
    assert _widened(bayes) == ["B"]


def test_summary_coverage_tables_are_means_over_seeds(tmp_path):
    r = run_benchmark(
        ["markov", "confounded"],
        [ModelEntry("last_touch", (), 40), ModelEntry("markov", (), 40)],
        sizes=[1500, 3000],
        seeds=[0, 1],
        population=False,
        n_jobs=1,
        progress=False,
    )
    t = r.table
    md = r.summary()
    assert "## Interval coverage" in md and "### Coverage, 3,000 journeys" in md
    assert "### Mean width, 1,500 journeys" in md
    for size in (1500, 3000):
        sel = t[(t.metric == "coverage") & (t.truth == "incremental") & (t["size"] == size)]
        by_hand = sel.groupby(["model", "scenario"]).value.mean()
        p = r.pivot("coverage", size=size)
        for (model, scenario), v in by_hand.items():
            assert p.loc[model, scenario] == pytest.approx(v)
            block = md.split(f"### Coverage, {size:,} journeys")[1].split("###")[0]
            row = next(line for line in block.splitlines() if line.startswith(f"| {model} |"))
            col = 1 + sorted(by_hand.index.get_level_values(1).unique()).index(scenario)
            cell = row.split("|")[1 + col].strip()
            assert float(cell.rstrip("*")) == pytest.approx(v, abs=5e-4)
            assert cell.endswith("*") == (0.85 <= v <= 0.95)
    out = r.save(tmp_path / "res")
    assert (out / "coverage_vs_size_incremental.png").stat().st_size > 10_000
    axes = r.plot_coverage_vs_size(truth="removal")
    lines = [ln for ln in axes[0].get_lines() if ln.get_label() == "markov (bootstrap 40)"]
    d = r.by_size("coverage", truth="removal")
    want = d[(d.scenario == "confounded") & (d.model == "markov (bootstrap 40)")]["mean"]
    np.testing.assert_allclose(lines[0].get_ydata(), want.to_numpy())


def test_model_warnings_are_kept_in_the_note(monkeypatch):
    import pathcredit.benchmark.runner as runner_mod

    real = runner_mod.attribute

    def warns(journeys, model="linear", **kw):
        warnings.warn("sampler diagnostics failed\nsecond line", UserWarning, stacklevel=2)
        return real(journeys, model=model, **kw)

    monkeypatch.setattr(runner_mod, "attribute", warns)
    with pytest.warns(UserWarning, match="diagnostics"):
        rows = run_cell(Cell("additive", "sample", 800, 0), [ModelEntry("linear")])
    assert (rows.note == "UserWarning: sampler diagnostics failed").all()


def test_summary_and_heatmap_lead_with_total_variation_then_mae():
    """One error measure everywhere: the summary's and the heatmap's cells are the mean
    total variation distance over seeds, the mean absolute error follows as the secondary
    table, and recovery is judged on the distance (hand-made table, no grid run)."""
    from pathcredit.benchmark import HEADLINE_METRIC, RECOVERY_THRESHOLD, BenchmarkResult
    from pathcredit.benchmark.runner import TABLE_COLUMNS

    rows = []
    # model a: shares off by (0.02, -0.02, 0, 0) and (0.01, -0.01, 0, 0): TV 0.02 and 0.01
    # model b: off by (0.1, -0.05, -0.05, 0) both seeds: TV 0.1, MAE 0.05
    for seed, (tv_a, tv_b) in enumerate([(0.02, 0.1), (0.01, 0.1)]):
        for model, tv in (("a", tv_a), ("b", tv_b)):
            mae = tv / 2  # four channels: mean |e| = sum |e| / 4 = 2 TV / 4
            for metric, v in (("tv_distance", tv), ("share_mae", mae)):
                rows.append(["w", "sample", 1000, seed, model, model, "incremental", metric, v, ""])
    t = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    r = BenchmarkResult(t)
    assert HEADLINE_METRIC == "tv_distance"
    p = r.pivot()
    assert p.loc["a", "w"] == pytest.approx(0.015) and p.loc["b", "w"] == pytest.approx(0.1)
    md = r.summary()
    assert "total variation distance" in md.split("##")[0]
    first, second = (
        [ln for ln in block.splitlines() if ln.startswith("| a |")][0]
        for block in md.split("## Sampled")[1].split("Mean absolute error per channel")
    )
    assert first == f"| a | 0.015{'*' if 0.015 < RECOVERY_THRESHOLD else ''} |"
    assert second == f"| a | {np.mean([0.01, 0.005]):.3f} |"
    assert "- w: a" in md  # recovered: TV below the threshold
    ax = r.plot_error_by_model()
    np.testing.assert_allclose(ax.images[0].get_array().data.ravel(), [0.015, 0.1])
    assert "total variation" in ax.figure.axes[-1].get_ylabel()
