"""``pathcredit attribute --compare-to``: the baseline named as written, paired intervals of the
change with ``--bootstrap`` (table and JSON), and model warnings as one line."""

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import pathcredit as pc
from pathcredit.cli import main

PATHS = pd.DataFrame(
    {
        "path": ["search > email", "display > search", "email", "search",
                 "display > email > search"],
        "total_conversions": [30, 20, 10, 25, 15],
        "total_conversion_value": [300.0, 150.0, 60.0, 250.0, 200.0],
        "total_null": [300, 250, 200, 220, 180],
    }
)  # fmt: skip


@pytest.fixture
def paths_parquet(tmp_path):
    f = tmp_path / "paths.parquet"
    PATHS.to_parquet(f)
    return f


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _by_hand(model, baseline, metric, n=500, seed=0, ci_prob=0.9):
    """The paired interval from the two bootstraps' draws, computed here."""
    j = pc.read_paths(PATHS)
    with warnings.catch_warnings():  # last_non_direct: no direct channel in these data
        warnings.simplefilter("ignore", pc.exceptions.PathcreditWarning)
        a = pc.bootstrap(j, model=model, n_resamples=n, seed=seed, ci_prob=ci_prob)
        b = pc.bootstrap(j, model=baseline, n_resamples=n, seed=seed, ci_prob=ci_prob)
    diff = a.draws[metric][0] - b.draws[metric][0]
    lo, hi = np.quantile(diff, [(1 - ci_prob) / 2, (1 + ci_prob) / 2], axis=0)
    point = getattr(a, metric) - getattr(b, metric)
    return list(a.channels), point, np.minimum(lo, point), np.maximum(hi, point)


def test_compare_to_a_model_as_written_with_bootstrap_json(paths_parquet):
    # the command of the report, as a user writes it
    res = run("attribute", paths_parquet, "--model", "last_non_direct", "--model", "markov",
              "--bootstrap", "500", "--compare-to", "last_non_direct",
              "--format", "json")  # fmt: skip
    assert res.exit_code == 0, res.output
    lnd, markov = json.loads(res.stdout)
    assert "baseline" not in lnd
    base = markov["baseline"]
    assert base["label"] == "last_non_direct (bootstrap)"
    assert base["paired"] is True and base["ci_prob"] == 0.9
    assert lnd["extras"]["resamples"] == markov["extras"]["resamples"]
    for metric, prefix in [("conversions", ""), ("share", "share_"), ("value", "value_")]:
        channels, point, lo, hi = _by_hand("markov", "last_non_direct", metric)
        got = {c["channel"]: c for c in base["channels"]}
        assert list(got) == channels
        np.testing.assert_allclose([got[c][f"{prefix}change"] for c in channels], point)
        np.testing.assert_allclose([got[c][f"{prefix}change_lower"] for c in channels], lo)
        np.testing.assert_allclose([got[c][f"{prefix}change_upper"] for c in channels], hi)
    # display: last non-direct never credits it, so no percent change
    assert got["display"]["change_pct"] is None and got["display"]["value_change_pct"] is None
    email = got["email"]
    assert email["change_pct"] == pytest.approx(100 * email["change"] / 40.0)


def test_compare_to_with_bootstrap_table_and_one_warning_line(paths_parquet):
    args = ["attribute", paths_parquet, "--model", "last_non_direct", "--model", "markov",
            "--compare-to", "last_non_direct"]  # fmt: skip
    plain = run(*args)
    boot = run(*args, "--bootstrap", "500")
    for res in (plain, boot):
        assert res.exit_code == 0, res.output
        (line,) = res.stderr.strip().splitlines()  # one line, no source line of Python's
        assert line.startswith("pathcredit: warning: last_non_direct: no direct channel")
    assert plain.stderr == boot.stderr
    assert "paired" not in plain.stdout and "change_lower" not in plain.stdout
    out = boot.stdout
    head = ("conversions against last_non_direct (bootstrap) (change, change %, and the 90% "
            "interval of the change, paired on the same resamples):")  # fmt: skip
    assert head in out
    block = out.split(head)[1].split("\n\n")[0].strip().splitlines()
    assert block[1].split() == ["conversions", "change", "change_pct", "change_lower",
                                "change_upper"]  # fmt: skip
    channels, point, lo, hi = _by_hand("markov", "last_non_direct", "conversions")
    rows = {ln.split()[0]: ln.split()[1:] for ln in block[3:]}
    for i, c in enumerate(channels):
        conv, change, _pct, low, high = rows[c]
        assert float(change) == pytest.approx(point[i], abs=1e-4)
        assert float(low) == pytest.approx(lo[i], abs=1e-4)
        assert float(high) == pytest.approx(hi[i], abs=1e-4)


def test_added_baseline_is_bootstrapped_on_the_same_resamples(paths_parquet):
    res = run("attribute", paths_parquet, "--model", "linear", "--bootstrap", "200",
              "--seed", "3", "--compare-to", "last_touch", "--format", "json")  # fmt: skip
    assert res.exit_code == 0, res.output
    linear, last = json.loads(res.stdout)
    assert last["label"] == "last_touch (bootstrap)"
    assert linear["extras"]["resamples"] == last["extras"]["resamples"]
    assert linear["extras"]["resamples"]["seed"] == 3
    channels, point, lo, hi = _by_hand("linear", "last_touch", "conversions", n=200, seed=3)
    got = linear["baseline"]["channels"]
    np.testing.assert_allclose([c["change_lower"] for c in got], lo)
    np.testing.assert_allclose([c["change_upper"] for c in got], hi)


def test_without_bootstrap_the_change_has_no_interval(paths_parquet):
    res = run("attribute", paths_parquet, "--model", "linear", "--compare-to", "last_touch",
              "--format", "json")  # fmt: skip
    assert res.exit_code == 0, res.output
    linear, _ = json.loads(res.stdout)
    base = linear["baseline"]
    assert base["paired"] is False and base["ci_prob"] is None
    keys = {"channel", "change", "change_pct", "change_lower", "change_upper", "share_change",
            "share_change_lower", "share_change_upper", "value_change", "value_change_pct",
            "value_change_lower", "value_change_upper"}  # fmt: skip
    for c in base["channels"]:
        assert set(c) == keys
        assert c["change_lower"] is None and c["share_change_upper"] is None
        assert c["value_change"] is not None
    # linear: search 15 + 10 + 25 + 5 = 55 against last touch's 60
    search = next(c for c in base["channels"] if c["channel"] == "search")
    assert search["change"] == pytest.approx(-5.0) and search["share_change"] == pytest.approx(
        -0.05
    )
    csv = run("attribute", paths_parquet, "--model", "linear", "--compare-to", "last_touch",
              "--format", "csv")  # fmt: skip
    assert csv.stdout.splitlines()[0] == (
        "channel,model,conversions,change,change_pct,change_lower,change_upper"
    )


@pytest.mark.parametrize(
    ("extra", "name", "label"),
    [
        (["--order", "2"], "markov", "markov(order=2)"),
        (["--order", "2"], "markov(order=2)", "markov(order=2)"),
        (["--order", "2", "--bootstrap", "50"], "markov(order=2)", "markov(order=2) (bootstrap)"),
        (["--order", "2", "--bootstrap", "50"], "markov", "markov(order=2) (bootstrap)"),
    ],
)
def test_compare_to_names_a_label_or_a_model(paths_parquet, extra, name, label):
    res = run("attribute", paths_parquet, "--model", "markov", "--model", "linear", *extra,
              "--compare-to", name, "--format", "json")  # fmt: skip
    assert res.exit_code == 0, res.output
    markov, linear = json.loads(res.stdout)
    assert markov["label"] == label and linear["baseline"]["label"] == label


def test_compare_to_naming_no_result_is_one_line(paths_parquet):
    res = run("attribute", paths_parquet, "--model", "markov", "--compare-to", "markov(order=3)")
    assert res.exit_code == 2
    (line,) = res.stderr.strip().splitlines()
    assert "--compare-to 'markov(order=3)' names none of the results ['markov']" in line


def test_csv_with_bootstrap_carries_the_paired_interval(paths_parquet):
    res = run("attribute", paths_parquet, "--model", "linear", "--bootstrap", "200",
              "--compare-to", "last_touch", "--format", "csv")  # fmt: skip
    assert res.exit_code == 0, res.output
    import io

    t = pd.read_csv(io.StringIO(res.stdout))
    assert set(t["model"]) == {"linear (bootstrap)"}
    channels, point, lo, hi = _by_hand("linear", "last_touch", "conversions", n=200)
    t = t.set_index("channel").loc[channels]
    np.testing.assert_allclose(t["change"], point)
    np.testing.assert_allclose(t["change_lower"], lo)
    np.testing.assert_allclose(t["change_upper"], hi)
