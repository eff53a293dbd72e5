"""Numbers in the notebooks' prose are the notebooks' own outputs.

A notebook's markdown may only state a number that its code or its committed outputs
print (``notebooks/execute.py`` commits them; ``test_notebooks.py`` checks that every
notebook still runs and is committed executed), so a rerun that changes a result makes
this test fail until the prose follows. Section numbers, the notebook's own number,
references to other notebooks and citation years are not results and are skipped.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).parents[1] / "notebooks"
#: The notebooks whose prose quotes their results (the benchmark and the intervals).
CHECKED = ["04_benchmark.ipynb", "05_bayesian.ipynb"]
NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?")


def _not_results(markdown: str) -> str:
    text = re.sub(r"`[^`]*`", "", markdown)  # code: names such as order=2, 05_bayesian
    text = re.sub(r"^#+ \d+(?:\.| ·)", "", text, flags=re.M)  # section and notebook numbers
    text = re.sub(r"notebooks? \d+", "", text)  # references to other notebooks
    text = re.sub(r"\b(?:19|20)\d\d\b", "", text)  # citation years (2018, 2022)
    return text


def _numbers(text: str) -> list[str]:
    return [t.replace(",", "") for t in NUMBER.findall(text)]


def _printed(nb) -> set[str]:
    parts = []
    for c in nb.cells:
        if c.cell_type != "code":
            continue
        parts.append(c.source)
        for o in c.get("outputs", []):
            parts.append(o.get("text", "") or o.get("data", {}).get("text/plain", ""))
    return set(_numbers("\n".join(parts)))


@pytest.mark.parametrize("name", CHECKED)
def test_every_number_in_the_prose_is_printed_by_the_notebook(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    printed = _printed(nb)
    missing = []
    for k, c in enumerate(nb.cells):
        if c.cell_type == "markdown":
            missing += [(k, n) for n in _numbers(_not_results(c.source)) if n not in printed]
    assert not missing, f"{name}: numbers in markdown cells that no output prints: {missing}"


def test_the_check_catches_a_stale_number():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("print(0.792)"),
        nbformat.v4.new_markdown_cell("## 2. Coverage\n\nThe bootstrap stays near 0.9."),
    ]
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text="0.792\n")]
    printed = _printed(nb)
    assert _numbers(_not_results(nb.cells[1].source)) == ["0.9"]
    assert "0.9" not in printed and "0.792" in printed
