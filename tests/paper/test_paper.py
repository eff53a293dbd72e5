"""The paper's numbers come from the benchmark, never from a keyboard.

* rebuilding paper.md (and its tables) from the committed benchmark outputs gives
  the committed files byte for byte;
* a few key numbers are read straight from the benchmark files, independently of
  paper/build.py, and must appear in paper.md as printed there;
* the template has no digit outside its placeholders, formulas, code and
  citations;
* every citation key exists in paper.bib and every entry has a DOI or a URL.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAPER = ROOT / "paper"
BENCH = ROOT / "benchmarks"


@pytest.fixture(scope="module")
def build():
    spec = importlib.util.spec_from_file_location("paper_build", PAPER / "build.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def fresh(build):
    return build.build_text()


@pytest.fixture(scope="module")
def paper_md():
    return (PAPER / "paper.md").read_text(encoding="utf-8")


def test_paper_md_equals_a_fresh_build(fresh, paper_md):
    text, _ = fresh
    if text != paper_md:
        a, b = text.splitlines(), paper_md.splitlines()
        first = next(
            (i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b))
        )
        pytest.fail(
            "paper/paper.md is stale: rerun `.venv/bin/python paper/build.py`.\n"
            f"first difference at line {first + 1}:\n"
            f"  built:     {a[first] if first < len(a) else '<end>'}\n"
            f"  committed: {b[first] if first < len(b) else '<end>'}"
        )


def test_tables_equal_a_fresh_build(fresh):
    _, built = fresh
    for name, table in built.tables.items():
        path = PAPER / "tables" / f"{name}.md"
        assert path.exists(), f"missing {path}: rerun paper/build.py"
        assert path.read_text(encoding="utf-8") == table, f"{path} is stale"


def test_no_placeholder_left_and_every_figure_exists(paper_md):
    assert "{{" not in paper_md
    figures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", paper_md)
    assert figures
    for f in figures:
        assert (PAPER / f).exists(), f
        assert (PAPER / f).with_suffix(".svg").exists(), f


# --------------------------------------------------------------------------- independent reads
def _table_rows(paper_md: str, header_start: str) -> list[list[str]]:
    lines = paper_md.splitlines()
    i = next(k for k, ln in enumerate(lines) if ln.startswith(header_start))
    rows = []
    for ln in lines[i + 2 :]:
        if not ln.startswith("|"):
            break
        rows.append([c.strip() for c in ln.strip().strip("|").split("|")])
    return rows


def test_markov_speed_ratios_are_the_json_ones(paper_md):
    rows = json.loads((BENCH / "markov" / "results_e2e.json").read_text())["rows"]
    rows = sorted((r for r in rows if r["set"] == "12 channels"), key=lambda r: r["order"])
    table = _table_rows(paper_md, "| order | states | ChannelAttribution (s)")
    assert [int(r[0]) for r in table] == [r["order"] for r in rows]
    for got, r in zip(table, rows, strict=True):
        assert got[2] == f"{r['ca_median_s']:.3f}"
        assert got[3] == f"{r['pc_median_s']:.3f}"
        assert got[4] == f"{r['ratio']:.1f}x"
        assert got[5] == f"{r['ratio_paired_median']:.1f}x"
    assert ", ".join(f"{r['ratio']:.1f}x" for r in rows) in paper_md


def _grid_errors(metric, *, truth="incremental", mode="sample"):
    """{(model, world): mean} at the largest sampled size, read from aggregated.csv."""
    with open(BENCH / "attribution" / "results" / "aggregated.csv", newline="") as f:
        agg = [
            r
            for r in csv.DictReader(f)
            if r["metric"] == metric and r["truth"] == truth and r["mode"] == mode
        ]
    big = max(int(float(r["size"])) for r in agg)
    return {
        (r["model"], r["scenario"]): float(r["mean"]) for r in agg if int(float(r["size"])) == big
    }


def test_grid_errors_are_the_aggregated_csv_ones(paper_md):
    # the headline is the total variation distance, the mean absolute error beside it
    err = _grid_errors("tv_distance")
    mae = _grid_errors("share_mae")
    table = _table_rows(paper_md, "| world | nearest model")
    assert len(table) == len({w for _, w in err})
    for row in table:
        world = row[0]
        assert row[2] == f"{err[('last_touch', world)]:.3f}"
        assert row[3] == f"{err[('markov', world)]:.3f}"
        best = min((e, m) for (m, w), e in err.items() if w == world)
        assert row[1].endswith(f"({best[0]:.3f})")
        assert row[6] == f"{mae[('last_touch', world)]:.3f}"
        assert row[7] == f"{mae[('markov', world)]:.3f}"


def test_the_two_error_measures_differ_by_half_the_channels():
    # six channels in every world: TV = sum |e| / 2 = 6 * mean |e| / 2 = 3 * MAE, cell by cell
    err, mae = _grid_errors("tv_distance"), _grid_errors("share_mae")
    assert err.keys() == mae.keys()
    for k in err:
        assert err[k] == pytest.approx(3 * mae[k], rel=1e-4, abs=1e-6), k


def test_grid_readme_blocks_are_fresh_and_quote_the_csv(fresh):
    _, built = fresh
    readme = (BENCH / "attribution" / "README.md").read_text(encoding="utf-8")
    assert set(built.readme) == {"grid_errors", "response_errors"}
    for name, body in built.readme.items():
        start = f"<!-- BEGIN generated by paper/build.py: {name} -->\n"
        assert start + body.rstrip("\n") + "\n<!-- END generated" in readme, (
            f"benchmarks/attribution/README.md block {name} is stale: rerun paper/build.py"
        )
    # independently: every "(nearest: model, x; last_touch y)" line at the largest size
    err = _grid_errors("tv_distance")
    block = readme.split("incremental truth, 1,000,000 journeys:")[1].split("Models under")[0]
    lines = re.findall(
        r"- \*\*(\w+)\*\*: .*\(nearest: (.+), (\d\.\d+); last_touch (\d\.\d+)\)", block
    )
    assert len(lines) == len({w for _, w in err})
    for world, model, best, lt in lines:
        assert best == f"{err[(model, world)]:.3f}"
        assert best == f"{min(e for (m, w), e in err.items() if w == world):.3f}"
        assert lt == f"{err[('last_touch', world)]:.3f}"


def test_paper_readme_states_the_committed_grid_run():
    run = json.loads((BENCH / "attribution" / "results" / "run.json").read_text())
    text = re.sub(r"\s+", " ", (PAPER / "README.md").read_text(encoding="utf-8"))
    s = run["settings"]
    boot = [m for m in s["models"] if m.endswith("(bootstrap)")]
    m = re.search(
        r"\((\d+) worlds x (\d+) model settings and (\d+) bootstrap entries x (\d+) sizes x "
        r"(\d+) seeds \+ population cells; the committed run took ([\d,]+) s with (\d+) workers",
        text,
    )
    assert m, "paper/README.md lost its sentence on the grid"
    assert [int(x) for x in m.groups()[:5]] == [
        len(s["scenarios"]),
        len(s["models"]) - len(boot),
        len(boot),
        len(s["sizes"]),
        len(s["seeds"]),
    ]
    assert m.group(6) == f"{run['wall_time_s']:,.0f}"
    assert int(m.group(7)) == s["n_jobs"]


def test_grid_readme_states_the_committed_run():
    run = json.loads((BENCH / "attribution" / "results" / "run.json").read_text())
    text = re.sub(r"\s+", " ", (BENCH / "attribution" / "README.md").read_text(encoding="utf-8"))
    s = run["settings"]
    boot = [m for m in s["models"] if m.endswith("(bootstrap)")]
    sizes = ", ".join(f"{n:,}" for n in s["sizes"])
    want = (
        f"{len(s['scenarios'])} worlds x {len(s['models']) - len(boot)} model settings and "
        f"{len(boot)} bootstrap entries x sizes {sizes} x {len(s['seeds'])} seeds"
    )
    assert want in text
    assert f"Wall time **{run['wall_time_s']:,.0f} s** with {s['n_jobs']} workers" in text
    import pyarrow.parquet as pq

    rows = pq.read_metadata(BENCH / "attribution" / "results" / "results.parquet").num_rows
    assert f"{rows:,} rows" in text


def test_calibration_coverage_is_the_json_one(paper_md):
    d = json.loads((BENCH / "bayesian" / "calibration_simulate_k1.json").read_text())
    s = d["results"]["order 2"]["summary"]
    table = _table_rows(paper_md, "| world | journeys | concentration")
    row = next(r for r in table if r[0] == "simulate" and r[2] == "1.0" and r[3] == "2"
               and r[1] == f"{d['meta']['journeys_per_replicate']:,}")  # fmt: skip
    assert row[6] == f"{100 * s['bayes_hdi_coverage']:.1f}%"
    assert row[7] == f"{100 * s['bootstrap_coverage']:.1f}%"


def test_channelattribution_credit_is_the_recorded_one(paper_md):
    rec = json.loads(
        (ROOT / "tests/data/channelattribution/markov_order1_expected.json").read_text()
    )
    table = _table_rows(paper_md, "| channel | exact share")
    recorded = {r["channel_name"]: r["total_conversions"] for r in rec["rows"]}
    assert {r[0] for r in table} == set(recorded)
    for r in table:
        assert r[3] == f"{recorded[r[0]]:.1f}"


# --------------------------------------------------------------------------- no hand-typed numbers
ALLOWED = [r"\b(?:Table|Figure) \d+\b", r"Google Analytics 4"]


def _strip(template: str) -> str:
    body = template.split("\n---\n", 1)[1]  # front matter (date is a placeholder)
    body = re.sub(r"<!--.*?-->", "", body, flags=re.S)
    body = re.sub(r"```.*?```", "", body, flags=re.S)
    body = re.sub(r"\{\{[^}]*\}\}", "", body)
    body = re.sub(r"\$[^$]+\$", "", body)  # formulas
    body = re.sub(r"`[^`]*`", "", body)  # code
    body = re.sub(r"\[@[^\]]*\]|@\w+", "", body)  # citations
    body = re.sub(r"\]\([^)]*\)", "]", body)  # link and figure targets
    for pat in ALLOWED:
        body = re.sub(pat, "", body)
    return body


def test_template_types_no_number(build):
    template = (PAPER / "paper.template.md").read_text(encoding="utf-8")
    body = _strip(template)
    digits = [m.group(0) for m in re.finditer(r"\S*\d\S*", body)]
    assert digits == [], f"numbers typed into the template: {digits}"


def test_strip_catches_a_typed_number():
    assert re.search(r"\d", _strip("---\ntitle: x\n---\nlast touch is off by 0.045\n"))


# --------------------------------------------------------------------------- citations
def _bib_entries() -> dict[str, str]:
    text = (PAPER / "paper.bib").read_text(encoding="utf-8")
    starts = list(re.finditer(r"@\w+\{([^,\s]+),", text))
    out = {}
    for i, m in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        out[m.group(1)] = text[m.start() : end]
    return out


def test_every_citation_is_in_the_bib(paper_md):
    keys = set()
    for group in re.findall(r"\[(@[^\]]+)\]", paper_md):
        keys |= set(re.findall(r"@([\w:-]+)", group))
    assert keys, "no citations found"
    missing = keys - set(_bib_entries())
    assert not missing, f"cited but not in paper.bib: {sorted(missing)}"


def test_every_bib_entry_has_a_doi_or_url_and_is_cited(paper_md):
    entries = _bib_entries()
    assert entries
    for key, entry in entries.items():
        assert re.search(r"^\s*(doi|url)\s*=", entry, flags=re.M), f"{key}: no doi or url"
        assert f"@{key}" in paper_md, f"{key} is in paper.bib but never cited"
