"""Progress bars: tqdm's notebook widget where Jupyter can draw it, the text bar otherwise."""

from __future__ import annotations

import importlib.util


def tqdm_class():
    """``tqdm.auto.tqdm`` when ipywidgets is installed, else ``tqdm.tqdm``.

    ``tqdm.auto`` warns (``TqdmWarning: IProgress not found``) in a notebook without
    ipywidgets, even for a disabled bar; the text bar works everywhere.
    """
    if importlib.util.find_spec("ipywidgets") is not None:
        from tqdm.auto import tqdm
    else:
        from tqdm import tqdm
    return tqdm
