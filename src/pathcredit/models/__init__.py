"""Attribution models and the one entry point that runs any of them: :func:`attribute`.

Models are registered by name in :mod:`pathcredit.models._registry`; the CLI, the
README table and :func:`available_models` all read that registry. Heavy modules are
imported only when their model runs.
"""

from __future__ import annotations

from .._params import check_has_paths, check_integer, check_probability, check_real, check_seed
from ..exceptions import ModelError
from ..journeys._fingerprint import fingerprint
from ._credit import label_of
from ._registry import (  # noqa: F401  (_REGISTRY, register_model: pathcredit.models.*)
    _REGISTRY,
    ModelSpec,
    available_models,
    get_model,
    register_model,
)

__all__ = ["attribute", "available_models", "get_model", "ModelSpec", "label_of"]


def attribute(journeys, model: str = "linear", **params):
    """Attribute the journeys' conversions and value to channels with one model.

    Parameters
    ----------
    journeys : Journeys
        From :func:`pathcredit.read_paths` or the journey builders.
    model : str, default ``"linear"``
        A registered model name; see :func:`available_models`.
    **params
        The model's parameters (see its function's docstring).

    Returns
    -------
    AttributionResult

    Raises
    ------
    ModelError
        Unknown model or parameter, or data the model cannot use.

    Examples
    --------
    >>> from pathcredit import Journeys, attribute
    >>> j = Journeys.from_paths([["A", "B"], ["B"]], conversions=[1, 1])
    >>> attribute(j, model="linear").conversions.tolist()
    [0.5, 1.5]
    """
    spec = get_model(model)
    allowed = spec.parameters()
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise ModelError(
            f"model {model!r} has no parameter(s) {unknown}; its parameters are "
            f"{sorted(allowed) or 'none'}"
        )
    for name, value in params.items():
        if name in _CONSTRAINTS:
            params[name] = _CONSTRAINTS[name](name, value)
    check_has_paths(journeys)
    result = spec.function(journeys, **params)
    if result.fingerprint is None:  # models built with build_result() carry it already
        return result.replace(label=label_of(model, params), fingerprint=fingerprint(journeys))
    return result.replace(label=label_of(model, params))


#: Parameters shared by several models, checked once here so every model (and the CLI's
#: ``--param KEY=VALUE``) refuses a bad value with one line naming it. Model-specific
#: ranges (Markov ``order``, ``folds``) are checked by the model itself.
_CONSTRAINTS = {
    "seed": lambda name, v: check_seed(v, name=name),
    "ci_prob": check_probability,
    "tol": lambda name, v: check_real(name, v, low=0, low_open=True),
    "max_permutations": lambda name, v: check_integer(name, v, low=1, high=10**9),
    "half_life": lambda name, v: check_real(name, v, low=0, low_open=True),
    "first": lambda name, v: check_real(name, v, low=0),
    "middle": lambda name, v: check_real(name, v, low=0),
    "last": lambda name, v: check_real(name, v, low=0),
}
