"""The model registry: the one list of models and what each needs.

A model is one module plus one :class:`ModelSpec` here; :func:`pathcredit.attribute`,
the CLI, the README table and :func:`available_models` all read this list.
Model modules are imported only when their model runs (``target`` is a string).
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass

from ..exceptions import ModelError

__all__ = ["ModelSpec", "register_model", "get_model", "available_models"]


@dataclass(frozen=True)
class ModelSpec:
    """A registered model: where its function lives and what it computes."""

    name: str
    target: str  # "module:function", imported lazily
    definition: str
    additive: bool = True
    kind: str = "rule"  # rule | data-driven
    weights_target: str | None = None  # per-touch weight kernel of a rule model

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
        ),
        ModelSpec(
            "last_touch",
            f"{_H}:last_touch",
            "all credit to the last touch (last click, direct included)",
            weights_target=f"{_H}:_w_last",
        ),
        ModelSpec(
            "last_non_direct",
            f"{_H}:last_non_direct",
            "all credit to the last touch not in `direct_channels`; an all-direct path "
            'credits its last touch (GA4\'s "Paid and organic last click")',
            weights_target=f"{_H}:_w_last_non_direct",
        ),
        ModelSpec(
            "linear",
            f"{_H}:linear",
            "each touch gets 1/len(path); a repeated channel gets one share per touch",
            weights_target=f"{_H}:_w_linear",
        ),
        ModelSpec(
            "linear_unique",
            f"{_H}:linear_unique",
            "each distinct channel on the path gets 1/(number of distinct channels)",
            weights_target=f"{_H}:_distinct_weights",
        ),
        ModelSpec(
            "position_based",
            f"{_H}:position_based",
            "U-shaped: `first` (0.4) to the first touch, `last` (0.4) to the last, the rest "
            "evenly over the middle; 2 touches split first:last, 1 touch gets all",
            weights_target=f"{_H}:_w_position_based",
        ),
        ModelSpec(
            "j_shaped",
            f"{_H}:j_shaped",
            "Adobe J: 20% first, 60% last, 20% over the middle; 2 touches 25/75",
            weights_target=f"{_H}:_w_j_shaped",
        ),
        ModelSpec(
            "inverse_j",
            f"{_H}:inverse_j",
            "Adobe inverse J: 60% first, 20% last, 20% over the middle; 2 touches 75/25",
            weights_target=f"{_H}:_w_inverse_j",
        ),
        ModelSpec(
            "custom",
            f"{_H}:custom",
            "user weights `first`, `middle`, `last`, normalised; middle spread evenly; "
            "2 touches ignore middle",
            weights_target=f"{_H}:_w_custom",
        ),
        ModelSpec(
            "time_decay",
            f"{_H}:time_decay",
            "weight 2^(-t/half_life), t = days from touch to conversion (half_life 7); "
            "needs touch times",
            weights_target=f"{_H}:_w_time_decay",
        ),
        ModelSpec(
            "time_decay_position",
            f"{_H}:time_decay_position",
            "weight 2^(-k/half_life), k = touches before the last (half_life 1 touch); "
            "positional, not time-based",
            weights_target=f"{_H}:_w_time_decay_position",
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
        ),
        ModelSpec(
            "shapley",
            ".shapley:shapley",
            "Shapley values of the game `value_function` (zhao: v(S) = conversions of paths "
            "within S, = linear_unique; conversion_rate; markov; callable); response models "
            "split each path by its subgame's values",
            kind="data-driven",
        ),
        ModelSpec(
            "ordered_shapley",
            ".shapley:ordered_shapley",
            "shapley's channel totals, each path's channel credit shared evenly over that "
            "channel's touches; credit per touch position in extras",
            kind="data-driven",
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
        ),
        ModelSpec(
            "bayesian_response",
            ".bayesian.response:bayesian_response",
            "PyMC hierarchical logistic model of the conversion probability given the "
            "exposures, fitted on one row per exposure pattern; credit = exact Shapley values "
            "of each journey's incremental game per posterior draw (baseline in extras); "
            "posterior mean, HDI bounds",
            kind="data-driven",
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
