"""``pathcredit benchmark``: a small grid end to end, interval coverage in the summary."""

from click.testing import CliRunner

from pathcredit.cli import main


def test_cli_benchmark_small(tmp_path):
    out = tmp_path / "bench"
    res = CliRunner().invoke(
        main,
        [
            "benchmark",
            "--scenario",
            "additive",
            "--model",
            "linear",
            "--model",
            "last_touch",
            "--size",
            "1000",
            "--seeds",
            "1",
            "--no-population",
            "--jobs",
            "1",
            "--no-progress",
            "--output",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "| linear |" in res.output
    assert (out / "results.csv").exists() and (out / "cache").is_dir()


def test_cli_benchmark_reports_coverage(tmp_path):
    args = ["benchmark", "--scenario", "markov", "--model", "linear", "--size", "1000",
            "--seeds", "1", "--no-population", "--jobs", "1", "--no-progress"]  # fmt: skip
    res = CliRunner().invoke(main, [*args, "--bootstrap", "30", "--output", str(tmp_path / "a")])
    assert res.exit_code == 0, res.output
    assert "## Interval coverage" in res.output and "| linear (bootstrap 30) |" in res.output
    res = CliRunner().invoke(main, [*args, "--bootstrap", "0", "--output", str(tmp_path / "b")])
    assert res.exit_code == 0, res.output
    assert "Interval coverage" not in res.output and "bootstrap" not in res.output
    res = CliRunner().invoke(main, [*args, "--bootstrap", "1", "--output", str(tmp_path / "c")])
    assert res.exit_code == 2 and "at least 2 resamples" in res.output
