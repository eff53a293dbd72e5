"""Execute the notebooks in place, so they are committed with their outputs and figures.

    .venv/bin/python notebooks/execute.py              # every notebook
    .venv/bin/python notebooks/execute.py 05_bayesian  # some of them

Each notebook runs top to bottom in a fresh kernel with ``notebooks/`` as its working
directory and matplotlib's inline backend (figures are stored as PNG outputs). Timing
metadata is not recorded, so a rerun changes only what the code prints.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbclient
import nbformat

HERE = Path(__file__).parent


def execute(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        timeout=900,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(HERE)}},
    )
    client.execute()
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, path)
    print(f"executed {path.name}")


def main(names: list[str]) -> None:
    paths = sorted(HERE.glob("*.ipynb"))
    if names:
        paths = [p for p in paths if p.stem in names or p.name in names]
    for path in paths:
        execute(path)


if __name__ == "__main__":
    main(sys.argv[1:])
