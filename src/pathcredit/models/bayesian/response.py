"""Bayesian response-model attribution: a hierarchical logistic model of conversion given the
channel exposures, fitted with PyMC, credit by the Shapley value of each journey's incremental
game per posterior draw.

Model
-----
For a journey with ``n_c`` touches of channel ``c``::

    logit P(convert) = alpha + sum_c beta_c x_c [+ sum_{c < d} gamma_cd x_c x_d]

with the feature ``x_c = log2(1 + n_c)`` (``features="log_count"``, the default:
one touch gives ``x_c = 1``, so ``beta_c`` is the log-odds lift of one touch, and
repeats add with diminishing returns: 2 touches 1.58, 3 touches 2) or ``x_c = [n_c >
0]`` (``features="presence"``: repeats add nothing). Why ``log_count``: in real
paths a channel repeated within a journey (retargeting, email series) plausibly
does more than a single touch but not proportionally more; ``log2(1 + n)`` is the
smallest step from presence (it equals presence for the 70-90 % of channel
exposures that are single touches) and it is the form of the simulator's
``logistic`` world, so the recovery and calibration tests run on a correctly
specified model there. The price is more distinct patterns (about 77,000 instead
of 3,600 on the 1,000,000-journey benchmark set), which only costs time.

Priors (``model_config``, defaults in :data:`DEFAULT_MODEL_CONFIG`): the baseline
``alpha ~ Normal(-3, 3)``; the channel effects are non-negative and partially
pooled, ``beta_c = tau z_c`` with ``z_c ~ HalfNormal(1)`` and a common scale ``tau ~
HalfNormal(1)`` learned from all channels (a channel with little data is shrunk
toward the others' scale, as in pymc-marketing's channel coefficients); the
optional interactions ``gamma_cd = tau_gamma w_cd``, ``w_cd ~ Normal(0, 1)``, ``tau_gamma ~
HalfNormal(0.5)``, are signed (synergies and substitutes) and pooled toward 0.
Non-negative main effects are an assumption (an exposure does not lower the chance
of converting); they keep every draw's incremental total positive, so shares are
defined in every draw.

Sufficient statistics: the likelihood is a product of binomials over the distinct
exposure patterns (feature rows): ``journeys_p`` trials and ``conversions_p``
successes per pattern, so the fit costs ``O(patterns x features)`` per gradient,
never ``O(journeys)``. Fractional counts (population-mode simulations,
deduplicated exports) enter the same kernel ``y log p + (n - y) log(1 - p)``.

The baseline is an extrapolation: path data hold only journeys with at least one
exposure, so ``P(convert | none)`` is never observed, and ``alpha`` is pinned down
only by the logistic form (how conversion grows with more exposures) and its prior.
That is why ``alpha`` and the channel effects are strongly correlated in the
posterior (NUTS needs a high ``target_accept`` and longer chains), and why the
baseline, and with it every incremental credit, is only as good as the logistic
assumption (1.6 times too high in the simulator's additive world, where exposures
add probabilities; ``benchmarks/bayesian/README.md``).

Credit
------
Per posterior draw and pattern, the incremental game ``v(S) = P(convert | only the
exposures in S) - P(convert | none)`` over the pattern's channels, its exact Shapley
value (all ``2**m`` coalitions, ``m`` the pattern's channels) times the pattern's
journeys, summed over patterns: each channel's expected incremental conversions
(Du et al. 2019; the simulator's ``incremental`` truth). The baseline ``journeys x
sigmoid(alpha)`` is nobody's credit and is reported in ``extras``. The result's
``conversions`` are the incremental shares times the observed conversions (so
every model's result sums to the same total and compares on one scale); the
absolute incremental conversions are in ``extras["incremental_conversions"]``
and in the draws.

Value: each pattern's observed mean value per conversion (the overall mean for a
pattern without conversions) weights its Shapley values; the value shares are of
this incremental value, times the total value.

References
----------
.. [1] Du, R., Zhong, Y., Nair, H., Cui, B. and Shou, R. (2019). Causally driven
   incremental multi touch attribution using a recurrent neural network.
   arXiv:1902.00215 (Shapley values of a response model above the no-ad baseline).
.. [2] Dalessandro, B., Perlich, C., Stitelman, O. and Provost, F. (2012). Causally
   motivated attribution for online advertising. ADKDD.
.. [3] Shapley, L. S. (1953). A value for n-person games.
.. [4] Gelman, A. et al. (2013). Bayesian Data Analysis, 3rd ed., ch. 5 (hierarchical
   models) and ch. 11 (R-hat, effective sample size).
"""

from __future__ import annotations

import copy
import hashlib
import importlib.util
import json
import logging
import math
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..._params import check_integer, check_probability, check_seed
from ..._stats import CI_PROB, posterior_summary
from ..._version import __version__
from ...exceptions import ModelError, SamplingWarning
from ...journeys import Journeys
from ...journeys._fingerprint import fingerprint
from ...results import AttributionResult, LazyValue
from .._credit import label_of
from ._shapley_kernel import incremental_shapley

__all__ = [
    "bayesian_response",
    "BayesianResponse",
    "exposure_patterns",
    "DEFAULT_MODEL_CONFIG",
    "SamplingWarning",
]

#: Priors as data: ``{"dist": PyMC distribution name, "kwargs": {...}}`` per parameter.
DEFAULT_MODEL_CONFIG: dict[str, dict[str, Any]] = {
    "intercept": {"dist": "Normal", "kwargs": {"mu": -3.0, "sigma": 3.0}},
    "beta_scale": {"dist": "HalfNormal", "kwargs": {"sigma": 1.0}},
    "interaction_scale": {"dist": "HalfNormal", "kwargs": {"sigma": 0.5}},
}
#: The distributions each prior may use (location priors, positive scale priors).
_ALLOWED_DISTS = {
    "intercept": ("Normal", "StudentT", "Cauchy", "Laplace"),
    "beta_scale": ("HalfNormal", "HalfStudentT", "HalfCauchy", "Exponential", "Gamma",
                   "LogNormal", "InverseGamma"),
    "interaction_scale": ("HalfNormal", "HalfStudentT", "HalfCauchy", "Exponential", "Gamma",
                          "LogNormal", "InverseGamma"),
}  # fmt: skip
_SAMPLER_KEYS = ("sampler",)
_FEATURES = ("log_count", "presence")
#: Diagnostic thresholds (Vehtari et al. 2021): R-hat, and bulk and tail ESS per chain.
_RHAT_MAX = 1.01
_ESS_PER_CHAIN = 100
#: Default NUTS target acceptance: the baseline and the channel effects are correlated
#: (no journey is unexposed), and 0.8 gave divergences on small data sets.
_TARGET_ACCEPT = 0.95
_FILE_KIND = "pathcredit.bayesian_response"
#: Coalition cells (draws x sum over patterns of 2**channels) above which the Shapley
#: kernel computes in float32.
_FLOAT32_CELLS = 1e8


def _require_pymc():
    try:
        import pymc as pm  # PyMC is optional and slow to import: loaded on first fit
    except ImportError:  # pragma: no cover - the test environment has pymc
        raise ModelError('bayesian_response needs PyMC: pip install "pathcredit[bayes]"') from None
    return pm


# ---------------------------------------------------------------------- sufficient statistics
@dataclass(frozen=True)
class Patterns:
    """One row per distinct exposure pattern: the sufficient statistics of the binomial fit.

    Attributes
    ----------
    channels : tuple of str
    X : (P, C) array
        Feature values (``log2(1 + touches)`` or presence).
    journeys, conversions, value : (P,) arrays
        Journeys (conversions + nulls), conversions and conversion value per pattern.
    features : str
    """

    channels: tuple[str, ...]
    X: np.ndarray
    journeys: np.ndarray
    conversions: np.ndarray
    value: np.ndarray | None
    features: str

    @property
    def value_per_conversion(self) -> np.ndarray:
        """Observed mean value of a conversion per pattern (overall mean where none)."""
        if self.value is None:
            return np.zeros(len(self.journeys))
        total = self.conversions.sum()
        overall = self.value.sum() / total if total > 0 else 0.0
        return np.divide(
            self.value,
            self.conversions,
            out=np.full(len(self.journeys), overall),
            where=self.conversions > 0,
        )

    def fingerprint(self) -> str:
        """SHA-256 of the table (channels, features, rows in a canonical order)."""
        order = np.lexsort(self.X.T[::-1])
        h = hashlib.sha256()
        h.update(json.dumps([list(self.channels), self.features]).encode())
        for a in (self.X, self.journeys, self.conversions, self.value):
            if a is not None:
                h.update(np.ascontiguousarray(np.asarray(a, np.float64)[order]).tobytes())
        return h.hexdigest()


def exposure_patterns(journeys: Journeys, features: str = "log_count") -> Patterns:
    """The distinct exposure patterns of the journeys with their journeys and conversions.

    Parameters
    ----------
    journeys : Journeys
        Needs non-converting journeys (nulls): a conversion probability is not
        identified from converters alone.
    features : {"log_count", "presence"}

    Returns
    -------
    Patterns

    Examples
    --------
    ``A > B`` and ``B > A`` have the same exposures, so they share one row:

    >>> from pathcredit import Journeys
    >>> j = Journeys.from_paths([["A", "B"], ["B", "A"], ["A", "A"]],
    ...                         conversions=[1, 2, 1], nulls=[3, 4, 5])
    >>> p = exposure_patterns(j)
    >>> p.X.tolist(), p.journeys.tolist(), p.conversions.tolist()
    ([[1.0, 1.0], [1.584962500721156, 0.0]], [10.0, 6.0], [3.0, 1.0])
    """
    if features not in _FEATURES:
        raise ModelError(f"features must be one of {list(_FEATURES)}, got {features!r}")
    C = journeys.n_channels
    pid = np.repeat(np.arange(journeys.n_paths), np.diff(journeys.offsets))
    counts = np.zeros((journeys.n_paths, C))
    np.add.at(counts, (pid, journeys.touches), 1.0)
    X = np.log2(1.0 + counts) if features == "log_count" else (counts > 0).astype(np.float64)
    uniq, inv = np.unique(X, axis=0, return_inverse=True)
    inv = inv.ravel()
    P = len(uniq)
    conv = np.bincount(inv, weights=journeys.conversions, minlength=P)
    nulls = np.bincount(inv, weights=journeys.nulls, minlength=P)
    value = np.bincount(inv, weights=journeys.value, minlength=P) if journeys.has_value else None
    return Patterns(tuple(journeys.channels), uniq, conv + nulls, conv, value, features)


# ---------------------------------------------------------------------- configuration
def _merge_model_config(model_config) -> dict[str, dict[str, Any]]:
    """Defaults overridden key by key; unknown keys and distributions refused."""
    cfg = copy.deepcopy(DEFAULT_MODEL_CONFIG)
    if model_config is None:
        return cfg
    if not isinstance(model_config, dict):
        raise ModelError(f"model_config must be a dict of prior specs, got {model_config!r}")
    unknown = sorted(set(model_config) - set(cfg))
    if unknown:
        raise ModelError(f"model_config has unknown key(s) {unknown}; its keys are {sorted(cfg)}")
    for key, spec in model_config.items():
        if not isinstance(spec, dict) or set(spec) - {"dist", "kwargs"}:
            raise ModelError(
                f"model_config[{key!r}] must be a dict with 'dist' and/or 'kwargs', got {spec!r}"
            )
        dist = spec.get("dist", cfg[key]["dist"])
        if dist not in _ALLOWED_DISTS[key]:
            raise ModelError(
                f"model_config[{key!r}]['dist'] must be one of {list(_ALLOWED_DISTS[key])}, "
                f"got {dist!r}"
            )
        kwargs = spec.get("kwargs", {})
        if not isinstance(kwargs, dict):
            raise ModelError(f"model_config[{key!r}]['kwargs'] must be a dict, got {kwargs!r}")
        for k, v in kwargs.items():
            ok = isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
            if not ok:
                raise ModelError(
                    f"model_config[{key!r}]['kwargs'][{k!r}] must be a finite number, got {v!r}"
                )
        base = cfg[key]["kwargs"] if dist == cfg[key]["dist"] else {}
        cfg[key] = {"dist": dist, "kwargs": {**base, **{k: float(v) for k, v in kwargs.items()}}}
    return cfg


def _check_sampler_config(sampler_config) -> dict[str, Any]:
    if sampler_config is None:
        return {}
    if not isinstance(sampler_config, dict):
        raise ModelError(f"sampler_config must be a dict, got {sampler_config!r}")
    out = dict(sampler_config)
    s = out.get("sampler", "auto")
    if s not in ("auto", "nutpie", "pymc"):
        raise ModelError(f"sampler_config['sampler'] must be 'auto', 'nutpie' or 'pymc', got {s!r}")
    reserved = sorted(set(out) & {"draws", "tune", "chains", "random_seed", "seed"})
    if reserved:
        raise ModelError(
            f"sampler_config cannot set {reserved}: pass draws, tune, chains and seed as arguments"
        )
    return out


def _prior(pm, name: str, spec: dict, **extra):
    dist = getattr(pm, spec["dist"])
    try:
        return dist(name, **spec["kwargs"], **extra)
    except (TypeError, ValueError) as e:
        raise ModelError(f"model_config[{name!r}] is not a valid {spec['dist']}: {e}") from None


# ---------------------------------------------------------------------- the fitted model
class BayesianResponse:
    """A hierarchical logistic response model of conversion, fitted with PyMC.

    The constructor only stores the configuration; :meth:`fit` builds the pattern
    table and samples; :meth:`attribute` turns the posterior into credit;
    :meth:`save` and :meth:`load` round-trip the fitted model through NetCDF.
    See :func:`bayesian_response` for the parameters.

    Attributes (after ``fit``)
    --------------------------
    idata_ : arviz.InferenceData
        Posterior (``intercept``, ``beta_scale``, ``beta``, ...), sample stats, and the
        pattern table in ``constant_data``; config, version and data fingerprint in
        the posterior's attrs.
    patterns_ : Patterns
    diagnostics_ : dict
        ``max_rhat``, ``min_ess_bulk``, ``min_ess_tail``, ``divergences``, ``sampler``,
        ``seconds``.
    """

    def __init__(
        self,
        *,
        draws: int = 1000,
        tune: int = 1000,
        chains: int = 2,
        features: str = "log_count",
        interactions: bool = False,
        model_config: dict | None = None,
        sampler_config: dict | None = None,
        seed=0,
    ):
        self.draws = draws
        self.tune = tune
        self.chains = chains
        self.features = features
        self.interactions = interactions
        self.model_config = model_config
        self.sampler_config = sampler_config
        self.seed = seed

    # -------------------------------------------------------------- checks
    def _checked(self):
        draws = check_integer("draws", self.draws, low=10, high=10**6)
        tune = check_integer("tune", self.tune, low=0, high=10**6)
        chains = check_integer("chains", self.chains, low=1, high=64)
        if self.features not in _FEATURES:
            raise ModelError(f"features must be one of {list(_FEATURES)}, got {self.features!r}")
        if not isinstance(self.interactions, bool | np.bool_):
            raise ModelError(f"interactions must be True or False, got {self.interactions!r}")
        seed = check_seed(self.seed)
        if isinstance(seed, np.random.Generator | np.random.SeedSequence):
            seed = int(np.random.default_rng(seed).integers(2**31))
        return draws, tune, chains, seed

    # -------------------------------------------------------------- model
    def build_model(self, patterns: Patterns):
        """The PyMC model of the pattern table (for prior checks, graphs, custom sampling)."""
        pm = _require_pymc()
        import pytensor.tensor as pt  # PyMC's tensor library: optional, loaded with PyMC

        cfg = _merge_model_config(self.model_config)
        C = len(patterns.channels)
        coords = {"channel": list(patterns.channels)}
        pairs = [(a, b) for a in range(C) for b in range(a + 1, C)]
        if self.interactions and pairs:
            coords["pair"] = [f"{patterns.channels[a]}:{patterns.channels[b]}" for a, b in pairs]
        with pm.Model(coords=coords) as model:
            X = pm.Data("X", patterns.X)
            n = pm.Data("journeys", patterns.journeys)
            y = pm.Data("conversions", patterns.conversions)
            alpha = _prior(pm, "intercept", cfg["intercept"])
            tau = _prior(pm, "beta_scale", cfg["beta_scale"])
            z = pm.HalfNormal("beta_raw", 1.0, dims="channel")
            beta = pm.Deterministic("beta", tau * z, dims="channel")
            eta = alpha + pt.dot(X, beta)
            if self.interactions and pairs:
                tg = _prior(pm, "interaction_scale", cfg["interaction_scale"])
                w = pm.Normal("interaction_raw", 0.0, 1.0, dims="pair")
                gamma = pm.Deterministic("interaction", tg * w, dims="pair")
                ia = np.array([a for a, _ in pairs])
                ib = np.array([b for _, b in pairs])
                eta = eta + pt.dot(X[:, ia] * X[:, ib], gamma)
            # binomial kernel y log p + (n - y) log(1 - p), stable in the log-odds
            pm.Potential("likelihood", -(y * pt.softplus(-eta) + (n - y) * pt.softplus(eta)).sum())
        return model

    # -------------------------------------------------------------- fit
    def fit(self, journeys: Journeys) -> BayesianResponse:
        """Build the pattern table of ``journeys`` and sample the posterior; returns ``self``."""
        draws, tune, chains, seed = self._checked()
        self.seed_ = seed  # the integer seed used (a Generator's draw)
        cfg = _merge_model_config(self.model_config)
        scfg = _check_sampler_config(self.sampler_config)
        if not journeys.has_nulls or (journeys.total_nulls or 0.0) <= 0:
            raise ModelError(
                "bayesian_response models P(convert | exposures) and needs journeys that did "
                "not convert (a null count, e.g. total_null)"
            )
        if journeys.total_conversions <= 0:
            raise ModelError("the journeys have no conversions: there is no credit to give")
        patterns = exposure_patterns(journeys, self.features)
        model = self.build_model(patterns)
        t0 = time.perf_counter()
        key = (len(patterns.channels), bool(self.interactions), json.dumps(cfg, sort_keys=True))
        idata, used = _sample(model, draws, tune, chains, seed, scfg, key)
        seconds = time.perf_counter() - t0
        self._store(idata, patterns, cfg, scfg, used, seconds, journeys)
        self._warn_diagnostics()
        return self

    def _store(self, idata, patterns, cfg, scfg, used, seconds, journeys=None):
        self.patterns_ = patterns
        self.model_config_ = cfg
        self.sampler_config_ = scfg
        attrs = {
            "pathcredit_kind": _FILE_KIND,
            "pathcredit_version": __version__,
            "model_config": json.dumps(cfg, sort_keys=True),
            "sampler_config": json.dumps(scfg, sort_keys=True, default=str),
            "features": self.features,
            "interactions": int(bool(self.interactions)),
            "draws": int(self.draws),
            "tune": int(self.tune),
            "chains": int(self.chains),
            "seed": -1 if getattr(self, "seed_", None) is None else int(self.seed_),
            "sampler": used,
            "sampling_seconds": float(seconds),
            "data_fingerprint": patterns.fingerprint(),
            "channels": json.dumps(list(patterns.channels)),
        }
        if journeys is not None:
            fp = fingerprint(journeys)
            attrs["input_sha256"] = str(fp.get("sha256", ""))
        coords = {"channel": list(patterns.channels)}
        if "pair" in idata.posterior.coords:
            C = len(patterns.channels)
            coords["pair"] = [
                f"{patterns.channels[a]}:{patterns.channels[b]}"
                for a in range(C)
                for b in range(a + 1, C)
            ]
        idata.posterior = idata.posterior.assign_coords(coords)
        idata.posterior.attrs.update(attrs)
        _attach_patterns(idata, patterns)
        self.idata_ = idata
        self.diagnostics_ = _diagnostics(idata, used, seconds)

    def _warn_diagnostics(self) -> None:
        d = self.diagnostics_
        ess_min = _ESS_PER_CHAIN * int(self.idata_.posterior.sizes["chain"])
        problems = []
        if d["max_rhat"] > _RHAT_MAX:
            problems.append(f"R-hat up to {d['max_rhat']:.3f} (> {_RHAT_MAX})")
        low_ess = min(d["min_ess_bulk"], d["min_ess_tail"]) < ess_min
        if low_ess:
            problems.append(
                f"effective sample size down to {min(d['min_ess_bulk'], d['min_ess_tail']):.0f} "
                f"(< {ess_min}, {_ESS_PER_CHAIN} per chain)"
            )
        if d["divergences"] > 0:
            problems.append(f"{d['divergences']} divergent transitions")
        if not problems:
            return
        fixes = []
        if d["divergences"] > 0:
            fixes.append("raise target_accept (sampler_config={'target_accept': 0.99})")
        if d["max_rhat"] > _RHAT_MAX or low_ess:
            fixes.append(
                "run longer (more tune and draws, e.g. tune=2000, draws=2000) or more chains"
            )
        warnings.warn(
            "bayesian_response: the sampler's diagnostics failed: "
            + "; ".join(problems)
            + ". The intervals may be wrong: "
            + " and ".join(fixes)
            + ".",
            SamplingWarning,
            stacklevel=3,
        )

    def _fitted(self):
        if not hasattr(self, "idata_"):
            raise ModelError("this BayesianResponse is not fitted: call fit(journeys) first")

    # -------------------------------------------------------------- posterior arrays
    def _posterior_arrays(self):
        post = self.idata_.posterior
        alpha = np.asarray(post["intercept"]).reshape(-1)
        C = len(self.patterns_.channels)
        beta = np.asarray(post["beta"]).reshape(-1, C)
        gamma = None
        if "interaction" in post:
            g = np.asarray(post["interaction"]).reshape(len(alpha), -1)
            gamma = np.zeros((len(alpha), C, C))
            iu = np.triu_indices(C, 1)
            gamma[:, iu[0], iu[1]] = g
        return alpha, beta, gamma

    def _eta(self, alpha, beta, gamma, X):
        eta = alpha[:, None] + beta @ X.T
        if gamma is not None:
            iu = np.triu_indices(X.shape[1], 1)
            xx = X[:, iu[0]] * X[:, iu[1]]
            eta = eta + gamma[:, iu[0], iu[1]] @ xx.T
        return eta

    # -------------------------------------------------------------- attribution
    def attribute(self, *, ci_prob: float = CI_PROB) -> AttributionResult:
        """Credit per channel from the posterior (see :func:`bayesian_response`)."""
        self._fitted()
        ci_prob = check_probability("ci_prob", ci_prob)
        pat = self.patterns_
        channels = pat.channels
        alpha, beta, gamma = self._posterior_arrays()
        D = len(alpha)
        has_value = pat.value is not None
        vbar = pat.value_per_conversion
        weights = (
            np.stack([pat.journeys, pat.journeys * vbar], axis=1)
            if has_value
            else (pat.journeys[:, None])
        )
        # float32 coalition tables when they are large (relative error ~1e-7, far below the
        # Monte Carlo error; half the time): the 1,000,000-journey set has 3.7 million
        # coalitions per draw
        cells = float(D) * float((2.0 ** (pat.X != 0).sum(axis=1)).sum())
        dtype = np.float32 if cells > _FLOAT32_CELLS else np.float64
        inc = incremental_shapley(alpha, beta, pat.X, weights, gamma, dtype)  # (D, C, K)
        T = float(pat.conversions.sum())
        TV = None if pat.value is None else float(pat.value.sum())
        total = inc[:, :, 0].sum(axis=1)
        bad = int((total <= 0).sum())
        if bad:
            raise ModelError(
                f"{bad} of {D} posterior draws give no incremental conversions at all (the "
                "channels together lower or do not change the conversion probability), so "
                "shares are undefined; with interactions=True this means the data cannot "
                "tell the interactions apart: fit without them or with more journeys"
            )
        share = inc[:, :, 0] / total[:, None]
        chains = int(self.idata_.posterior.sizes["chain"])

        def shaped(a):
            return a.reshape(chains, -1, a.shape[-1])

        sampled = {
            "conversions": share * T,
            "share": share,
            "incremental_conversions": inc[:, :, 0],
        }
        if has_value:
            vtot = inc[:, :, 1].sum(axis=1)
            vshare = np.divide(inc[:, :, 1], vtot[:, None], out=np.zeros_like(share),
                               where=vtot[:, None] > 0)  # fmt: skip
            sampled["value"] = vshare * TV
            sampled["incremental_value"] = inc[:, :, 1]
        means, lower, upper, widened = posterior_summary(sampled, channels, ci_prob)
        N = float(pat.journeys.sum())
        base = N / (1.0 + np.exp(-alpha))
        expected = (pat.journeys / (1.0 + np.exp(-self._eta(alpha, beta, gamma, pat.X)))).sum(
            axis=1
        )
        extras: dict[str, Any] = {
            "baseline_conversions": float(base.mean()),
            "baseline_conversions_sd": float(base.std()),
            "expected_conversions": float(expected.mean()),
            "incremental_conversions": dict(
                zip(channels, means["incremental_conversions"].tolist(), strict=True)
            ),
            "incremental_conversions_sd": dict(
                zip(channels, inc[:, :, 0].std(axis=0).tolist(), strict=True)
            ),
            "intercept": float(alpha.mean()),
            "beta": dict(zip(channels, beta.mean(axis=0).tolist(), strict=True)),
            "features": pat.features,
            "interactions": bool(gamma is not None),
            "n_patterns": int(len(pat.journeys)),
            "diagnostics": dict(self.diagnostics_),
            "widened": widened,
            "model_config": copy.deepcopy(self.model_config_),
            "fitted_model": self,
            "prior_predictive": LazyValue(lambda: self.prior_predictive()),
            "posterior_predictive": LazyValue(lambda: self.posterior_predictive()),
        }
        if has_value:
            extras["incremental_value"] = dict(
                zip(channels, means["incremental_value"].tolist(), strict=True)
            )
        params = {
            "draws": int(self.draws), "tune": int(self.tune), "chains": int(self.chains),
            "features": self.features, "interactions": bool(self.interactions),
            "model_config": self.model_config, "sampler_config": self.sampler_config,
            "ci_prob": ci_prob, "seed": self.seed,
        }  # fmt: skip
        return AttributionResult(
            "bayesian_response",
            params,
            channels,
            means["conversions"],
            means.get("value"),
            total_conversions=T,
            total_value=TV,
            extras=extras,
            draws={k: shaped(v) for k, v in sampled.items()},
            lower=lower,
            upper=upper,
            ci_prob=ci_prob,
            ci_kind="hdi",
            label=label_of("bayesian_response", params),
        )

    # -------------------------------------------------------------- predictive checks
    def posterior_predictive(self, *, seed=0):
        """Posterior predictive check per pattern: a DataFrame with the observed conversions,
        the posterior predictive mean and its 90 % interval, and the tail probability
        ``P(replicated >= observed)`` (values near 0 or 1 flag a misfit), plus a total row.

        Replicates are binomial draws (journeys rounded to whole numbers for fractional
        counts) at each posterior draw's probabilities.
        """
        self._fitted()
        alpha, beta, gamma = self._posterior_arrays()
        p = 1.0 / (1.0 + np.exp(-self._eta(alpha, beta, gamma, self.patterns_.X)))
        return _predictive_table(self.patterns_, p, seed)

    def prior_predictive(self, *, draws: int = 500, seed=0):
        """Prior predictive check: the same table as :meth:`posterior_predictive` with
        parameters drawn from the priors (``model_config``) instead of the posterior."""
        self._fitted()
        pm = _require_pymc()
        model = self.build_model(self.patterns_)
        draws = check_integer("draws", draws, low=1, high=10**6)
        names = ["intercept", "beta"] + (["interaction"] if self.interactions else [])
        with model, warnings.catch_warnings():
            # only parameter draws are used: the likelihood (a Potential) is meant to be left out
            warnings.filterwarnings("ignore", "The effect of Potentials", UserWarning)
            prior = pm.sample_prior_predictive(
                draws=draws, var_names=names, random_seed=check_seed(seed)
            ).prior
        alpha = np.asarray(prior["intercept"]).reshape(-1)
        C = len(self.patterns_.channels)
        beta = np.asarray(prior["beta"]).reshape(-1, C)
        gamma = None
        if "interaction" in prior and C > 1:
            gamma = np.zeros((len(alpha), C, C))
            iu = np.triu_indices(C, 1)
            gamma[:, iu[0], iu[1]] = np.asarray(prior["interaction"]).reshape(len(alpha), -1)
        p = 1.0 / (1.0 + np.exp(-self._eta(alpha, beta, gamma, self.patterns_.X)))
        return _predictive_table(self.patterns_, p, seed)

    # -------------------------------------------------------------- save / load
    def save(self, path) -> Path:
        """Write the fitted model (posterior, sample stats, pattern table, configuration,
        version, data fingerprint) to a NetCDF file; returns the path."""
        self._fitted()
        path = Path(path)
        self.idata_.to_netcdf(str(path))
        return path

    @classmethod
    def load(cls, path, journeys: Journeys | None = None) -> BayesianResponse:
        """A fitted model from a file written by :meth:`save`.

        Raises :class:`ModelError` when the file is not a saved ``bayesian_response``
        model, when its pattern table does not match its recorded fingerprint, or,
        with ``journeys`` given, when the model was fitted to other journeys.
        """
        az = _arviz()
        try:
            idata = az.from_netcdf(str(path))
        except (OSError, ValueError) as e:
            raise ModelError(f"{path}: not a readable NetCDF model file ({e})") from None
        if "posterior" not in idata.groups():
            raise ModelError(f"{path}: not a saved bayesian_response model (no posterior)")
        attrs = dict(idata.posterior.attrs)
        if attrs.get("pathcredit_kind") != _FILE_KIND:
            raise ModelError(
                f"{path}: not a saved bayesian_response model "
                f"(kind {attrs.get('pathcredit_kind')!r})"
            )
        try:
            cfg = json.loads(attrs["model_config"])
            scfg = json.loads(attrs["sampler_config"])
            seed = int(attrs["seed"])
            obj = cls(
                draws=int(attrs["draws"]), tune=int(attrs["tune"]), chains=int(attrs["chains"]),
                features=str(attrs["features"]), interactions=bool(int(attrs["interactions"])),
                model_config=cfg, sampler_config=scfg or None, seed=None if seed < 0 else seed,
            )  # fmt: skip
            patterns = _read_patterns(idata, json.loads(attrs["channels"]), obj.features)
        except (KeyError, ValueError, TypeError) as e:
            raise ModelError(f"{path}: a damaged bayesian_response model file ({e})") from None
        if patterns.fingerprint() != attrs.get("data_fingerprint"):
            raise ModelError(
                f"{path}: the pattern table does not match the fingerprint recorded at fit time"
            )
        if journeys is not None:
            mine = exposure_patterns(journeys, obj.features).fingerprint()
            if mine != attrs["data_fingerprint"]:
                raise ModelError(
                    f"{path}: the model was fitted to other journeys (data fingerprints differ)"
                )
        _merge_model_config(cfg)  # refuses a config this version does not know
        obj.patterns_ = patterns
        obj.model_config_ = cfg
        obj.sampler_config_ = scfg
        obj.idata_ = idata
        obj.diagnostics_ = _diagnostics(
            idata, str(attrs.get("sampler", "")), float(attrs.get("sampling_seconds", 0.0))
        )
        return obj


def _arviz():
    with warnings.catch_warnings():  # ArviZ 0.2x announces its refactor on import
        warnings.simplefilter("ignore", FutureWarning)
        try:
            import arviz as az  # ArviZ is optional and slow to import: loaded when needed
        except ImportError:  # pragma: no cover
            raise ModelError(
                'bayesian_response needs ArviZ: pip install "pathcredit[bayes]"'
            ) from None
    return az


def _attach_patterns(idata, patterns: Patterns) -> None:
    import xarray as xr  # optional (the bayes extra), installed with ArviZ

    data = {
        "X": (("pattern", "channel"), patterns.X),
        "journeys": (("pattern",), patterns.journeys),
        "conversions": (("pattern",), patterns.conversions),
    }
    if patterns.value is not None:
        data["value"] = (("pattern",), patterns.value)
    ds = xr.Dataset(
        data,
        coords={"pattern": np.arange(len(patterns.journeys)), "channel": list(patterns.channels)},
    )
    if "constant_data" in idata.groups():
        del idata.constant_data
    idata.add_groups(constant_data=ds)


def _read_patterns(idata, channels, features) -> Patterns:
    cd = idata.constant_data
    value = np.asarray(cd["value"], dtype=np.float64) if "value" in cd else None
    return Patterns(
        tuple(channels),
        np.asarray(cd["X"], dtype=np.float64),
        np.asarray(cd["journeys"], dtype=np.float64),
        np.asarray(cd["conversions"], dtype=np.float64),
        value,
        features,
    )


def _predictive_table(patterns: Patterns, p: np.ndarray, seed):
    rng = np.random.default_rng(check_seed(seed))
    n = np.round(patterns.journeys).astype(np.int64)
    rep = rng.binomial(n[None, :], np.clip(p, 0.0, 1.0)).astype(np.float64)
    obs = patterns.conversions
    lo, hi = np.quantile(rep, [0.05, 0.95], axis=0)
    names = [
        " + ".join(
            f"{c}" if patterns.features == "presence" else f"{c} x{2**x - 1:g}"
            for c, x in zip(patterns.channels, row, strict=True)
            if x > 0
        )
        or "(none)"
        for row in patterns.X
    ]
    table = pd.DataFrame(
        {
            "pattern": names,
            "journeys": patterns.journeys,
            "observed": obs,
            "predicted": rep.mean(axis=0),
            "lower": lo,
            "upper": hi,
            "p_value": (rep >= obs[None, :]).mean(axis=0),
        }
    )
    tot = rep.sum(axis=1)
    total_row = pd.DataFrame(
        {
            "pattern": ["(total)"],
            "journeys": [patterns.journeys.sum()],
            "observed": [obs.sum()],
            "predicted": [tot.mean()],
            "lower": [np.quantile(tot, 0.05)],
            "upper": [np.quantile(tot, 0.95)],
            "p_value": [(tot >= obs.sum()).mean()],
        }
    )
    return pd.concat([table, total_row], ignore_index=True)


# ---------------------------------------------------------------------- sampling
def _nutpie_available() -> bool:
    return importlib.util.find_spec("nutpie") is not None


def _sample(model, draws, tune, chains, seed, scfg, key=()):
    """Sample with nutpie (when importable, or asked for) or PyMC's NUTS; ``(idata, name)``."""
    kwargs = {k: v for k, v in scfg.items() if k not in _SAMPLER_KEYS}
    kwargs.setdefault("target_accept", _TARGET_ACCEPT)
    which = scfg.get("sampler", "auto")
    if which == "auto":
        which = "nutpie" if _nutpie_available() else "pymc"
    if which == "nutpie":
        try:
            import nutpie  # optional sampler, imported only when it samples
        except ImportError:
            raise ModelError(
                "sampler_config asks for nutpie, which is not installed: "
                'pip install "pathcredit[nutpie]"'
            ) from None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # numba / pytensor compile chatter
            compiled = _compile_nutpie(model, key)
            kwargs.setdefault("progress_bar", False)
            kwargs.setdefault("cores", min(chains, 2))
            try:
                idata = nutpie.sample(
                    compiled, draws=draws, tune=tune, chains=chains, seed=seed, **kwargs
                )
            except TypeError as e:
                raise ModelError(f"sampler_config is not valid for nutpie: {e}") from None
        return idata, "nutpie"
    pm = _require_pymc()
    kwargs.setdefault("progressbar", False)
    kwargs.setdefault("cores", 1)
    kwargs.setdefault("compute_convergence_checks", False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        log = logging.getLogger("pymc")
        level = log.level
        log.setLevel(logging.ERROR)
        try:
            with model:
                idata = pm.sample(draws=draws, tune=tune, chains=chains, random_seed=seed, **kwargs)
        except TypeError as e:
            raise ModelError(f"sampler_config is not valid for PyMC: {e}") from None
        finally:
            log.setLevel(level)
    return idata, "pymc"


#: nutpie models compiled per structure (channels, interactions, priors): compiling
#: costs seconds, sampling a small model milliseconds, so a fit with the same structure
#: (bootstrap-like reruns, calibration, the common test suite) swaps in its data only.
_COMPILED: dict[tuple, Any] = {}
_COMPILED_MAX = 8


def _compile_nutpie(model, key):
    import nutpie  # optional sampler, imported only when it samples

    data = {name: model[name].get_value() for name in ("X", "journeys", "conversions")}
    if key in _COMPILED:
        compiled = _COMPILED.pop(key)
        _COMPILED[key] = compiled  # most recently used last
        return compiled.with_data(**data)
    compiled = nutpie.compile_pymc_model(model)
    while len(_COMPILED) >= _COMPILED_MAX:
        _COMPILED.pop(next(iter(_COMPILED)))
    _COMPILED[key] = compiled
    return compiled


def _diagnostics(idata, sampler: str, seconds: float) -> dict[str, Any]:
    az = _arviz()
    post = idata.posterior
    names = [v for v in ("intercept", "beta_scale", "beta", "interaction_scale", "interaction")
             if v in post]  # fmt: skip
    chains = int(post.sizes["chain"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # R-hat of one chain
        if chains > 1:
            rhat = az.rhat(post, var_names=names)
            max_rhat = float(max(float(np.nanmax(np.asarray(rhat[v]))) for v in names))
        else:
            max_rhat = float("nan")
        ess_b = az.ess(post, var_names=names, method="bulk")
        ess_t = az.ess(post, var_names=names, method="tail")
    min_b = float(min(float(np.nanmin(np.asarray(ess_b[v]))) for v in names))
    min_t = float(min(float(np.nanmin(np.asarray(ess_t[v]))) for v in names))
    div = 0
    if "sample_stats" in idata.groups() and "diverging" in idata.sample_stats:
        div = int(np.asarray(idata.sample_stats["diverging"]).sum())
    return {
        "max_rhat": max_rhat if math.isfinite(max_rhat) else 1.0,
        "min_ess_bulk": min_b,
        "min_ess_tail": min_t,
        "divergences": div,
        "sampler": sampler,
        "seconds": float(seconds),
    }


# ---------------------------------------------------------------------- the registered function
def bayesian_response(
    journeys: Journeys,
    *,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 2,
    features: str = "log_count",
    interactions: bool = False,
    model_config: dict | None = None,
    sampler_config: dict | None = None,
    ci_prob: float = CI_PROB,
    seed=0,
) -> AttributionResult:
    """Incremental credit from a Bayesian logistic response model: Shapley values of each
    journey's incremental game, per posterior draw.

    Parameters
    ----------
    journeys : Journeys
        Must record non-converting journeys (nulls).
    draws, tune, chains : int, default 1000, 1000, 2
        NUTS draws kept and tuning steps per chain, and chains.
    features : {"log_count", "presence"}, default "log_count"
        ``x_c = log2(1 + touches of c)`` or ``[touched c]`` (see the module notes).
    interactions : bool, default False
        Add pairwise interactions ``gamma_cd x_c x_d`` (hierarchical, signed).
    model_config : dict, optional
        Priors as data, overriding :data:`DEFAULT_MODEL_CONFIG` key by key, e.g.
        ``{"intercept": {"dist": "Normal", "kwargs": {"mu": -5, "sigma": 1}}}``
        (``kwargs`` alone keeps the distribution and overrides those arguments).
        Unknown keys or distributions are refused.
    sampler_config : dict, optional
        ``{"sampler": "auto" | "nutpie" | "pymc"}`` (auto: nutpie when installed) and
        any keyword of ``nutpie.sample`` or ``pymc.sample`` (``target_accept``, ``cores``...).
    ci_prob : float, default 0.9
        Mass of the highest-density intervals.
    seed : int, default 0

    Returns
    -------
    AttributionResult
        ``conversions`` (``value``): the posterior mean share of the incremental
        conversions (value) times the observed total; ``lower``/``upper``: HDIs of
        ``conversions``, ``value`` and ``share``; ``draws`` (chain, draw, channel) of
        ``conversions``, ``share``, ``incremental_conversions`` (and ``value``,
        ``incremental_value``). ``extras``: ``baseline_conversions`` (journeys x
        P(convert | no exposure), posterior mean and ``_sd``),
        ``incremental_conversions`` (and ``_sd``), ``expected_conversions``,
        ``intercept``, ``beta`` (posterior means), ``diagnostics`` (R-hat, ESS,
        divergences, sampler, seconds), ``n_patterns``, ``fitted_model`` (the
        :class:`BayesianResponse`, for ``save``), and on demand ``prior_predictive``
        and ``posterior_predictive`` (per-pattern check tables).

    Raises
    ------
    ModelError
        A bad parameter or config, no nulls, no conversions, or PyMC missing
        (``pip install "pathcredit[bayes]"``).

    Warns
    -----
    SamplingWarning
        R-hat above 1.01, an effective sample size below 400, or divergent
        transitions; the message names the fix.

    Notes
    -----
    Cost: sampling ``O((draws + tune) x chains x leapfrog steps x patterns x
    features)``; attribution ``O(draws x chains x sum_p 2^m_p m_p)`` with ``m_p`` the
    channels of pattern ``p`` (exact Shapley values; no loop over patterns).

    Examples
    --------
    >>> from pathcredit import Journeys
    >>> j = Journeys.from_paths([["A"], ["B"], ["A", "B"], ["C"]],
    ...                         conversions=[30, 20, 60, 5], nulls=[970, 980, 940, 995])
    >>> r = bayesian_response(j, chains=4, seed=1)
    >>> r.draws["share"].shape
    (4, 1000, 3)
    >>> [round(s, 1) for s in r.share.tolist()]  # A lifts conversion most, C least
    [0.5, 0.4, 0.1]
    """
    fitted = BayesianResponse(
        draws=draws,
        tune=tune,
        chains=chains,
        features=features,
        interactions=interactions,
        model_config=model_config,
        sampler_config=sampler_config,
        seed=seed,
    ).fit(journeys)
    result = fitted.attribute(ci_prob=ci_prob)
    # the fitted model summarises its pattern table (it may be loaded from a file, with
    # no journeys); the journeys' removals and fingerprint are added here
    return result.replace(removed=journeys.removed, fingerprint=fingerprint(journeys))
