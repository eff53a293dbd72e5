"""Deprecated home of :func:`pathcredit.models.engine.attribute_in_engine`.

Running a rule in the query engine is a model, so it moved to :mod:`pathcredit.models`
(above this data layer); the old names still resolve here, lazily and with a
``DeprecationWarning``, so importing this module does not import the models.
"""

from __future__ import annotations

import importlib
import warnings

_MOVED = ("attribute_in_engine", "ENGINE_MODELS")


def __getattr__(name):
    # deprecated alias pointing up the layering, resolved on first use only
    if name in _MOVED:
        warnings.warn(
            f"pathcredit.journeys.pushdown.{name} moved to pathcredit.models.engine.{name}",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(importlib.import_module("pathcredit.models.engine"), name)
    raise AttributeError(f"module 'pathcredit.journeys.pushdown' has no attribute {name!r}")
