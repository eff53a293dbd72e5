"""The model registry: the one list of models and everything known about each.

A model is one module plus one :class:`ModelSpec` here. Everything that used to keep
its own list of models reads this one: :func:`pathcredit.attribute`, the CLI
(``pathcredit models``, ``--markdown`` for the README table), the named checks'
settings (:mod:`pathcredit.testing`), the benchmark grid's variants, opt-ins and
bootstrap entries (:mod:`pathcredit.benchmark`), the in-engine models
(:mod:`pathcredit.models.engine`), the paper and the tests. Model modules are imported
only when their model runs (``target`` is a string).
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..exceptions import ModelError

__all__ = ["ModelSpec", "KINDS", "register_model", "get_model", "available_models"]

#: The kinds of model: a fixed rule of the path, or a model estimated from the data
#: (Markov chains, Shapley games, the response models, the Bayesian posteriors).
KINDS = ("rule", "data-driven")


@dataclass(frozen=True)
class ModelSpec:
    """A registered model: where its function lives, what it computes, how it is run.

    Parameters
    ----------
    name : str
        The name :func:`pathcredit.attribute` takes.
    target : str
        ``"module:function"`` (relative to :mod:`pathcredit.models`), imported lazily.
    definition : str
        One line; the README's model table and ``pathcredit models`` print it.
    additive : bool, default True
        Whether the credit sums to the journeys' totals.
    kind : {"rule", "data-driven"}
    weights_target : str, optional
        Per-touch weight kernel of a rule model (the bootstrap's vectorised path).
    engine_target : str, optional
        The rule's Ibis twin (a weight expression over the touch table), which lets
        :func:`~pathcredit.models.engine.attribute_in_engine` run it in the query
        engine with the model's own parameters and defaults.
    settings : tuple of dict
        Parameter settings the named checks run besides the defaults
        (:func:`pathcredit.testing.model_settings`).
    grid_variants : tuple of dict
        Settings the benchmark grid runs besides the defaults.
    grid_bootstrap : tuple of dict
        Settings (``{}``: the defaults; else one of ``grid_variants``) the default
        grid also runs through :func:`pathcredit.bootstrap`.
    opt_in : bool, default False
        Left out of the default benchmark grid (run when named): too slow per cell.
    quick : mapping
        Parameters that make the model fast enough for repeated runs in tests
        (fewer posterior draws), for property tests over many random inputs.
    """

    name: str
    target: str  # "module:function", imported lazily
    definition: str
    additive: bool = True
    kind: str = "rule"
    weights_target: str | None = None
    engine_target: str | None = None
    settings: tuple[Mapping[str, Any], ...] = ()
    grid_variants: tuple[Mapping[str, Any], ...] = ()
    grid_bootstrap: tuple[Mapping[str, Any], ...] = ()
    opt_in: bool = False
    quick: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ModelError(f"model {self.name!r}: kind must be one of {KINDS}, got {self.kind!r}")
        known = [{}, *self.grid_variants]
        for setting in self.grid_bootstrap:
            if dict(setting) not in known:
                raise ModelError(
                    f"model {self.name!r}: grid_bootstrap setting {dict(setting)} is neither "
                    "the defaults ({}) nor one of grid_variants"
                )

    @property
    def function(self):
        module, attr = self.target.split(":")
        return getattr(importlib.import_module(module, __package__), attr)

    @property
    def weights(self):
        if self.weights_target is None:
            return None
        module, attr = self.weights_target.split(":")
        return getattr(importlib.import_module(module, __package__), attr)

    @property
    def engine(self):
        """The Ibis weight expression of the rule, or ``None`` (no in-engine form)."""
        if self.engine_target is None:
            return None
        module, attr = self.engine_target.split(":")
        return getattr(importlib.import_module(module, __package__), attr)

    def parameters(self) -> dict:
        """The model's parameters and their defaults."""
        sig = inspect.signature(self.function)
        return {
            n: p.default
            for n, p in list(sig.parameters.items())[1:]
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        }


_H = ".heuristics"
_REGISTRY: dict[str, ModelSpec] = {
    s.name: s
    for s in [
        ModelSpec(
            "first_touch",
            f"{_H}:first_touch",
            "all credit to the first touch",
            weights_target=f"{_H}:_w_first",
            engine_target=".engine:_ibis_first",
            grid_bootstrap=({},),
        ),
        ModelSpec(
            "last_touch",
            f"{_H}:last_touch",
            "all credit to the last touch (last click, direct included)",
            weights_target=f"{_H}:_w_last",
            engine_target=".engine:_ibis_last",
            grid_bootstrap=({},),
        ),
        ModelSpec(
            "last_non_direct",
            f"{_H}:last_non_direct",
            "all credit to the last touch not in `direct_channels`; an all-direct path "
            'credits its last touch (GA4\'s "Paid and organic last click")',
            weights_target=f"{_H}:_w_last_non_direct",
            engine_target=".engine:_ibis_last_non_direct",
            settings=({"direct_channels": ["A"]},),
            grid_bootstrap=({},),
        ),
        ModelSpec(
            "linear",
            f"{_H}:linear",
            "each touch gets 1/len(path); a repeated channel gets one share per touch",
            weights_target=f"{_H}:_w_linear",
            engine_target=".engine:_ibis_linear",
            grid_bootstrap=({},),
        ),
        ModelSpec(
            "linear_unique",
            f"{_H}:linear_unique",
            "each distinct channel on the path gets 1/(number of distinct channels)",
            weights_target=f"{_H}:_distinct_weights",
            grid_bootstrap=({},),
        ),
        ModelSpec(
            "position_based",
            f"{_H}:position_based",
            "U-shaped: `first` (0.4) to the first touch, `last` (0.4) to the last, the rest "
            "evenly over the middle; 2 touches split first:last, 1 touch gets all",
            weights_target=f"{_H}:_w_position_based",
            engine_target=".engine:_ibis_position_based",
            settings=({"first": 0.3, "last": 0.5},),
            grid_bootstrap=({},),
        ),
        ModelSpec(
            "j_shaped",
            f"{_H}:j_shaped",
            "Adobe J: 20% first, 60% last, 20% over the middle; 2 touches 25/75",
            weights_target=f"{_H}:_w_j_shaped",
            engine_target=".engine:_ibis_j_shaped",
        ),
        ModelSpec(
            "inverse_j",
            f"{_H}:inverse_j",
            "Adobe inverse J: 60% first, 20% last, 20% over the middle; 2 touches 75/25",
            weights_target=f"{_H}:_w_inverse_j",
            engine_target=".engine:_ibis_inverse_j",
        ),
        ModelSpec(
            "custom",
            f"{_H}:custom",
            "user weights `first`, `middle`, `last`, normalised; middle spread evenly; "
            "2 touches ignore middle",
            weights_target=f"{_H}:_w_custom",
            engine_target=".engine:_ibis_custom",
            settings=(
                {"first": 3.0, "middle": 1.0, "last": 2.0},
                {"first": 1.0, "middle": 0.0, "last": 1.0},
            ),
        ),
        ModelSpec(
            "time_decay",
            f"{_H}:time_decay",
            "weight 2^(-t/half_life), t = days from touch to conversion (half_life 7); "
            "needs touch times",
            weights_target=f"{_H}:_w_time_decay",
            engine_target=".engine:_ibis_time_decay",
            settings=({"half_life": 0.5},),
        ),
        ModelSpec(
            "time_decay_position",
            f"{_H}:time_decay_position",
            "weight 2^(-k/half_life), k = touches before the last (half_life 1 touch); "
            "positional, not time-based",
            weights_target=f"{_H}:_w_time_decay_position",
            settings=({"half_life": 3.0},),
        ),
        ModelSpec(
            "participation",
            f"{_H}:participation",
            "every channel on a converting path gets its full conversions (not additive)",
            additive=False,
        ),
        ModelSpec(
            "markov",
            ".markov:markov",
            "order-k Markov chain: conversions split by normalised exact removal effects "
            "1 - P(conv without the channel) / P(conv); `order` int or 'auto' (CV)",
            kind="data-driven",
            settings=tuple(
                {"order": k, "credit": c} for k in (1, 2, 3, 4) for c in ("removal", "anderl")
            ),
            grid_variants=({"order": 2}, {"order": 3}),
            grid_bootstrap=({}, {"order": 2}),
        ),
        ModelSpec(
            "shapley",
            ".shapley:shapley",
            "Shapley values of the game `value_function` (zhao: v(S) = conversions of paths "
            "within S, = linear_unique; conversion_rate; markov; callable); response models "
            "split each path by its subgame's values",
            kind="data-driven",
            settings=(
                {"value_function": "zhao"},
                {"value_function": "conversion_rate"},
                {"value_function": "markov"},
                {"value_function": "markov", "order": 2},
                {"value_function": "conversion_rate", "method": "sampling", "seed": 3},
            ),
            grid_variants=(
                {"value_function": "conversion_rate"},
                {"value_function": "conversion_rate", "baseline": "holdout"},
                {"value_function": "markov"},
            ),
        ),
        ModelSpec(
            "ordered_shapley",
            ".shapley:ordered_shapley",
            "shapley's channel totals, each path's channel credit shared evenly over that "
            "channel's touches; credit per touch position in extras",
            kind="data-driven",
            settings=({"value_function": "zhao"}, {"value_function": "conversion_rate"}),
        ),
        ModelSpec(
            "shao_li",
            ".shao_li:shao_li",
            "Shao & Li (2011) approximation: each converting path split in proportion to "
            "p_i + 1/(2N) sum_j (p_ij - p_i - p_j), p = conversion rates of exposed "
            "journeys (needs nulls)",
            kind="data-driven",
        ),
        ModelSpec(
            "bayesian_markov",
            ".bayesian.markov:bayesian_markov",
            "posterior of markov's credit: Dirichlet(prior + counts) transition rows (order "
            ">= 2 shrunk toward the lower-order row), exact removal effects per draw; "
            "posterior mean, HDI bounds",
            kind="data-driven",
            settings=({"order": 2}, {"order": 3, "concentration": "auto"}),
            grid_variants=({"order": 2},),
        ),
        ModelSpec(
            "bayesian_response",
            ".bayesian.response:bayesian_response",
            "PyMC hierarchical logistic model of the conversion probability given the "
            "exposures, fitted on one row per exposure pattern; credit = exact Shapley values "
            "of each journey's incremental game per posterior draw (baseline in extras); "
            "posterior mean, HDI bounds",
            kind="data-driven",
            opt_in=True,
            quick={"draws": 100, "tune": 100, "chains": 1},
        ),
    ]
}


def register_model(spec: ModelSpec) -> None:
    """Add a model to the registry (used by the data-driven model modules)."""
    _REGISTRY[spec.name] = spec


def get_model(name: str) -> ModelSpec:
    """The registered model called ``name``; a :class:`ModelError` lists the choices."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ModelError(f"unknown model {name!r}; choose one of {sorted(_REGISTRY)}") from None


def available_models(kind: str | None = None) -> list[str]:
    """Names of the registered models, optionally only ``"rule"`` or ``"data-driven"`` ones."""
    return [n for n, s in _REGISTRY.items() if kind is None or s.kind == kind]
