"""Named worlds with a known truth: the scenarios of the benchmark.

Every scenario produces journeys (an event log and the aggregated
:class:`~pathcredit.Journeys`) and their :class:`~pathcredit.simulate.Truth`.
Two families:

**Exposure-response scenarios** (``additive``, ``noisy_or``, ``logistic``,
``synergy``, ``order``, ``decay``, ``funnel``, ``confounded``), after Kelly,
Vaver and Koehler (2018) and Shender et al. (2023). First an exposure process,
independent of conversion (except in ``confounded``):

* path length ``L``: one touch, then one more with probability
  ``continue_prob`` (geometric), at most ``max_length`` touches (renormalised);
  the defaults (0.45, 10) give a mean of 1.8 touches and 55 % one-touch
  journeys, inside the ranges Anderl et al. (2016) report (mean 1.3-2.5);
* first channel from ``mix``; each next channel is the previous one again with
  probability ``repeat``, otherwise drawn from ``next_mix`` (or from the rows of
  ``transitions`` where given). The defaults put upper-funnel channels
  (display, social) first more often and lower-funnel ones (search, email,
  direct) later, so first and last touch differ as in real paths;
* times: consecutive touches an exponential ``mean_gap_days`` apart, the
  decision (conversion, or the end of a journey without one) an exponential
  ``lag_days`` after the last touch; journeys start uniformly over ``days``.

Then the journey converts with probability ``P(convert | exposures)``, the
scenario's response; a converting journey's value is log-normal (``value_sigma``)
with mean the average of ``value_mean`` over its touches. Value is a property of
the buyer, not caused by the ads: withholding an exposure changes whether the
journey converts, not what it would spend. The truth of every journey is the
Shapley value of its incremental game ``v(S) = P(convert | only the exposures
to the channels in S) - P(convert | none)`` (:mod:`pathcredit.simulate.truth`),
computed exactly over all ``2**C`` coalitions; in sampled mode it is summed over
the sampled journeys (expected incremental conversions given their exposures,
free of the conversion coin flips), in population mode weighted by each path's
probability.

**The Markov scenario** (``markov``): the journey itself is an absorbing Markov
chain over channels (Anderl et al. 2016; Archak et al. 2010), the world where
the removal assumption holds; its truth is computed exactly from the chain with
:class:`pathcredit.models.markov.MarkovChain`.

Population mode (``population=True``) returns expected path counts (fractional
conversions and nulls) for ``n_journeys`` journeys instead of a sample: every
touch sequence whose prefix probability ``P(L > l) P(prefix)`` is at least
``population_tol`` is enumerated (the left-out probability is reported as
``coverage``). Continuous touch times cannot be enumerated: where a scenario's
response depends on them (``decay``), and for the touch times that
``time_decay`` needs, each path gets ``time_draws`` fixed, seeded time patterns
of equal weight, so population mode is deterministic and its truth exact for
the population it returns.

Decisions where the issue is silent: the incremental truth splits a journey's
interaction effects equally (Shapley), so a synergy's lift is shared by its
two channels; a channel absent from a journey is a null player of its game;
parameters given as channel mappings may be partial (other channels keep their
defaults) but must name only known channels.

References
----------
.. [1] Kelly, J., Vaver, J. and Koehler, J. (2018). A causal framework for digital
   attribution. Google.
.. [2] Shender, D. et al. (2023). A time-to-event framework for multi-touch
   attribution. Journal of Data Science 21(4).
.. [3] Anderl, E., Becker, I., von Wangenheim, F. and Schumann, J. H. (2016). Mapping
   the customer journey. IJRM 33(3), 457-474.
.. [4] Singal, R., Besbes, O., Desir, A., Goyal, V. and Iyengar, G. (2022). Shapley
   meets uniform: an axiomatic framework for attribution in online advertising.
   Management Science 68(10).
.. [5] Abhishek, V., Fader, P. and Hosanagar, K. (2012). Media exposure through the
   funnel: a model of multi-stage attribution. SSRN 2158421.
.. [6] Shapley, L. S. (1953). A value for n-person games.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from .._absorbing import AbsorbingSolver, contains_channels
from .._games import mask_bits, shapley_matrix
from .._params import check_integer, check_real, check_seed
from ..exceptions import InputError
from ..journeys import Journeys
from . import _kernels as K
from .truth import Truth

__all__ = [
    "Scenario",
    "Simulation",
    "SCENARIOS",
    "get_scenario",
    "list_scenarios",
    "simulate_journeys",
]

CHANNELS = ("search", "display", "social", "email", "affiliate", "direct")
#: Shared defaults of the exposure process (see the module notes).
EXPOSURE_DEFAULTS: dict[str, Any] = {
    "channels": CHANNELS,
    "mix": {
        "search": 0.22,
        "display": 0.28,
        "social": 0.20,
        "email": 0.10,
        "affiliate": 0.08,
        "direct": 0.12,
    },
    "next_mix": {
        "search": 0.34,
        "display": 0.12,
        "social": 0.10,
        "email": 0.16,
        "affiliate": 0.10,
        "direct": 0.18,
    },
    "transitions": None,
    "repeat": 0.3,
    "continue_prob": 0.45,
    "max_length": 10,
    "mean_gap_days": 2.0,
    "lag_days": 0.5,
    "days": 90.0,
    "start": "2024-01-01",
    "value_mean": {
        "search": 90.0,
        "display": 70.0,
        "social": 60.0,
        "email": 110.0,
        "affiliate": 80.0,
        "direct": 100.0,
    },
    "value_sigma": 0.6,
    "cross_device": 0.0,
    "offline_channels": (),
    "population_tol": 1e-6,
    "time_draws": 16,
}
_MAX_CHANNELS = 10
_CHUNK = 32768
#: Seed of the fixed time patterns of population mode.
_POPULATION_TIME_SEED = 20181


def _real(name, value, **kw) -> float:
    return check_real(name, value, error=InputError, **kw)


def _int(name, value, **kw) -> int:
    return check_integer(name, value, error=InputError, **kw)


# ---------------------------------------------------------------------- results
@dataclass
class Simulation:
    """One simulated data set with its truth.

    Attributes
    ----------
    scenario : str
    params : dict
        Every parameter of the scenario (defaults filled in), JSON-ready.
    n_journeys : int
    seed : int or None
    population : bool
        Expected counts instead of a sample.
    journeys : Journeys
        Distinct paths with conversions, value and nulls (fractional in population mode).
    truth : Truth
    coverage : float
        Probability of the paths returned (1 for samples; population mode leaves out
        sequences below ``population_tol``).
    """

    scenario: str
    params: dict
    n_journeys: int
    seed: Any
    population: bool
    journeys: Journeys
    truth: Truth
    coverage: float = 1.0
    _rows: dict = field(default_factory=dict, repr=False)

    @property
    def channels(self) -> tuple[str, ...]:
        return self.truth.channels

    # -------------------------------------------------------------- event log
    def events(self):
        """The event log (one row per touch or conversion), as :func:`build_journeys` reads it.

        Columns ``user_id``, ``timestamp``, ``channel``, ``conversion``, ``value``
        (those of :func:`pathcredit.simulate.simulate_events`). With
        ``cross_device`` or ``offline_channels``, some touches are logged under a
        second id (``<user>~d2`` for another device, ``<user>~offline`` for offline
        channels); :meth:`identity_map` maps them back. Build journeys with
        ``build_journeys(events, value_col="value", identity_map=sim.identity_map(),
        lookback_days=None)`` to get exactly :attr:`journeys`. Population mode has
        no event log (its journeys are fractional).
        """
        if self.population:
            raise InputError("population mode has expected counts, not an event log")
        if "events" not in self._rows:
            self._rows["events"], self._rows["identity"] = _event_log(self)
        return self._rows["events"]

    def identity_map(self):
        """Second ids -> person ids (``device_id, person_id``); None without cross-device."""
        self.events()
        return self._rows["identity"]

    def timed_journeys(self) -> Journeys:
        """Converting journeys one per row with touch times (days to the conversion).

        What ``time_decay`` needs. In population mode each converting path comes
        ``time_draws`` times with fixed time patterns and its conversions split evenly.
        """
        r = self._rows
        days = r["days"]
        w = r["conversions"]
        value = r["value"]
        ch, length = r["ch"], r["length"]
        if days is None:  # population mode of a scenario whose response ignores time
            k = int(self.params["time_draws"])
            rng = np.random.default_rng(_POPULATION_TIME_SEED)
            ch = np.repeat(ch, k, axis=0)
            length = np.repeat(length, k)
            days = K.sample_days_before(
                rng, length, ch.shape[1], self.params["mean_gap_days"], self.params["lag_days"]
            )
            w = np.repeat(w / k, k)
            value = np.repeat(value / k, k)
        keep = w > 0
        touches, offsets = K.to_csr(ch[keep], length[keep])
        times = days[keep][~np.isnan(days[keep])]
        return Journeys(
            self.channels,
            touches,
            offsets,
            w[keep],
            value[keep],
            None,
            times=times,
            source=f"simulate:{self.scenario}",
        )

    def to_dict(self) -> dict[str, Any]:
        """``truth.json``: ``{"scenario", "params", "n_journeys", "seed", "population",
        "coverage", "truth": {...}}``."""
        return {
            "scenario": self.scenario,
            "params": _jsonable(self.params),
            "n_journeys": self.n_journeys,
            "seed": self.seed if isinstance(self.seed, int | type(None)) else str(self.seed),
            "population": self.population,
            "coverage": self.coverage,
            "truth": self.truth.to_dict(),
        }


def _jsonable(v):
    if isinstance(v, dict):
        return {
            str(k) if not isinstance(k, tuple) else " & ".join(k): _jsonable(x)
            for k, x in v.items()
        }
    if isinstance(v, list | tuple):
        return [_jsonable(x) for x in v]
    if isinstance(v, np.generic):
        return v.item()
    return v


# ---------------------------------------------------------------------- scenarios
class Scenario:
    """Base of the scenarios: parameters with defaults and checks, and ``simulate``.

    Subclasses set ``name``, ``summary`` (one line), ``defaults`` and implement
    ``_simulate``. ``Scenario(**params)`` fills in the defaults and checks every
    value (an :class:`~pathcredit.InputError` names the parameter).
    """

    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    defaults: ClassVar[dict[str, Any]] = {}

    def __init__(self, **params):
        allowed = self.all_defaults()
        unknown = sorted(set(params) - set(allowed))
        if unknown:
            raise InputError(
                f"scenario {self.name!r} has no parameter(s) {unknown}; "
                f"its parameters are {sorted(allowed)}"
            )
        merged = {}
        channels = tuple(params.get("channels", allowed.get("channels", ())))
        for k, default in allowed.items():
            v = params.get(k, default)
            if isinstance(default, dict) and k in params and isinstance(v, dict):
                if k != "synergy":  # channel mappings override key by key
                    v = {**{c: x for c, x in default.items() if c in channels}, **v}
            merged[k] = v
        self.params = merged
        self._check()

    @classmethod
    def all_defaults(cls) -> dict[str, Any]:
        return dict(cls.defaults)

    def _check(self) -> None:  # pragma: no cover - overridden
        pass

    def simulate(self, n_journeys: int = 100_000, *, seed=0, population: bool = False):
        """Simulate ``n_journeys`` journeys (or their expected counts) and compute the truth.

        Returns
        -------
        Simulation
        """
        n = _int("n_journeys", n_journeys, low=1, high=10**8)
        seed = check_seed(seed, error=InputError)
        if not isinstance(population, bool | np.bool_):
            raise InputError(f"population must be True or False, got {population!r}")
        return self._simulate(n, seed, bool(population))

    def _simulate(self, n: int, seed, population: bool) -> Simulation:  # pragma: no cover
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<Scenario {self.name}: {self.summary}>"


class ExposureScenario(Scenario):
    """An exposure process independent of conversion, then ``P(convert | exposures)``.

    Subclasses implement ``_response(ch, length, days, latent, bits)`` returning
    the ``(n, 2**C)`` matrix of conversion probabilities with only the exposures
    of each coalition's channels (see the module notes).
    """

    uses_time: ClassVar[bool] = False

    @classmethod
    def all_defaults(cls) -> dict[str, Any]:
        return {**EXPOSURE_DEFAULTS, **cls.defaults}

    # -------------------------------------------------------------- checks
    def _channel_map(self, name, *, low=None, high=None, low_open=False) -> np.ndarray:
        """A channel-keyed parameter as an array in channel order (every channel needed)."""
        p = self.params[name]
        chans = self.params["channels"]
        if not isinstance(p, dict):
            raise InputError(f"{name} must be a mapping channel -> number, got {p!r}")
        extra = sorted(set(p) - set(chans))
        if extra:
            raise InputError(f"{name} names unknown channel(s) {extra}; channels are {list(chans)}")
        missing = [c for c in chans if c not in p]
        if missing:
            raise InputError(f"{name} has no value for channel(s) {missing}")
        return np.array(
            [_real(f"{name}[{c!r}]", p[c], low=low, high=high, low_open=low_open) for c in chans]
        )

    def _check(self) -> None:
        p = self.params
        chans = p["channels"]
        if isinstance(chans, str) or not all(isinstance(c, str) and c.strip() for c in chans):
            raise InputError(f"channels must be a sequence of non-empty names, got {chans!r}")
        chans = tuple(c.strip() for c in chans)
        if len(set(chans)) != len(chans) or not 1 <= len(chans) <= _MAX_CHANNELS:
            raise InputError(
                f"channels must be 1 to {_MAX_CHANNELS} distinct names, got {list(chans)}"
            )
        p["channels"] = chans
        mix = self._channel_map("mix", low=0)
        if mix.sum() <= 0:
            raise InputError("mix must give some channel a positive weight")
        self.mix = mix / mix.sum()
        nxt = self._channel_map("next_mix", low=0)
        if nxt.sum() <= 0:
            raise InputError("next_mix must give some channel a positive weight")
        self.next_mix = nxt / nxt.sum()
        _real("repeat", p["repeat"], low=0, high=1, high_open=True)
        _real("continue_prob", p["continue_prob"], low=0, high=1, high_open=True)
        p["max_length"] = _int("max_length", p["max_length"], low=1, high=30)
        for k in ("mean_gap_days", "lag_days", "days"):
            _real(k, p[k], low=0, low_open=True)
        self.value_mean = self._channel_map("value_mean", low=0, low_open=True)
        _real("value_sigma", p["value_sigma"], low=0, high=3)
        _real("cross_device", p["cross_device"], low=0, high=1)
        off = tuple(p["offline_channels"])
        if set(off) - set(chans):
            bad = sorted(set(off) - set(chans))
            raise InputError(f"offline_channels names unknown channel(s) {bad}")
        p["offline_channels"] = off
        _real("population_tol", p["population_tol"], low=0, high=0.01, low_open=True)
        p["time_draws"] = _int("time_draws", p["time_draws"], low=1, high=1000)
        try:
            import pandas as pd

            pd.Timestamp(p["start"])
        except Exception:
            raise InputError(f"start must be a date, got {p['start']!r}") from None
        C = len(chans)
        trans = (1 - p["repeat"]) * np.tile(self.next_mix, (C, 1)) + p["repeat"] * np.eye(C)
        if p["transitions"] is not None:
            t = p["transitions"]
            if not isinstance(t, dict) or set(t) - set(chans):
                raise InputError("transitions must map channels to {next channel: weight}")
            for c, row in t.items():
                if not isinstance(row, dict) or set(row) - set(chans):
                    raise InputError(f"transitions[{c!r}] must map channels to weights")
                r = np.array(
                    [_real(f"transitions[{c!r}][{d!r}]", row.get(d, 0.0), low=0) for d in chans]
                )
                if r.sum() <= 0:
                    raise InputError(f"transitions[{c!r}] must give some channel a positive weight")
                trans[chans.index(c)] = r / r.sum()
        self.trans = trans
        self.latent_probs = np.array([1.0])
        self._check_response()

    def _check_response(self) -> None:
        pass

    def _exposure_model(self):
        """``(mix (U, C), trans (U, C, C), latent_probs (U,))``."""
        return self.mix[None], self.trans[None], self.latent_probs

    # -------------------------------------------------------------- simulation
    def _simulate(self, n, seed, population):
        p = self.params
        C = len(p["channels"])
        bits = mask_bits(C)
        W = shapley_matrix(C)
        mix, trans, lat = self._exposure_model()
        lp = K.length_probabilities(p["continue_prob"], p["max_length"])
        rng_exp, rng_out, rng_time = (
            np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3)
        )
        if population:
            tol = p["population_tol"]
            ch, length, latent, prob = K.enumerate_exposures(mix, trans, lat, lp, tol)
            coverage = float(prob.sum())
            weight = n * prob
            days = None
            if self.uses_time:
                k = p["time_draws"]
                rng = np.random.default_rng(_POPULATION_TIME_SEED)
                ch, length, latent = (np.repeat(a, k, axis=0) for a in (ch, length, latent))
                weight = np.repeat(weight / k, k)
                days = K.sample_days_before(
                    rng, length, ch.shape[1], p["mean_gap_days"], p["lag_days"]
                )
        else:
            ch, length, latent = K.sample_exposures(rng_exp, n, mix, trans, lat, lp)
            weight = np.ones(n)
            coverage = 1.0
            days = K.sample_days_before(
                rng_time, length, ch.shape[1], p["mean_gap_days"], p["lag_days"]
            )
        # per journey: P(convert), baseline, Shapley credit, P(convert | c withheld)
        if self.uses_time:
            first, inverse = np.arange(len(ch)), None
        else:
            first, inverse = K.group_rows(ch, latent)
        g_ch, g_len, g_lat = ch[first], length[first], latent[first]
        g_days = None if days is None else days[first]
        full = 2**C - 1
        removed_masks = full ^ (1 << np.arange(C))
        G = len(first)
        p_all, p_none = np.empty(G), np.empty(G)
        phi = np.empty((G, C))
        p_minus = np.empty((G, C))
        # journeys that saw one channel only need two coalitions: none and all
        single = (g_ch == g_ch[:, :1]) | (g_ch < 0)
        single = single.all(axis=1)
        one = np.flatnonzero(single)
        many = np.flatnonzero(~single)
        two = bits[[0, full]]
        for lo in range(0, len(one), 4 * _CHUNK):
            r = one[lo : lo + 4 * _CHUNK]
            V = self._response(
                g_ch[r], g_len[r], None if g_days is None else g_days[r], g_lat[r], two
            )
            c = g_ch[r, 0].astype(np.int64)
            p_all[r], p_none[r] = V[:, 1], V[:, 0]
            phi[r] = 0.0
            phi[r, c] = V[:, 1] - V[:, 0]
            p_minus[r] = V[:, 1:2]
            p_minus[r, c] = V[:, 0]
        for lo in range(0, len(many), _CHUNK):
            r = many[lo : lo + _CHUNK]
            V = self._response(
                g_ch[r], g_len[r], None if g_days is None else g_days[r], g_lat[r], bits
            )
            p_all[r], p_none[r] = V[:, full], V[:, 0]
            phi[r] = V @ W
            p_minus[r] = V[:, removed_masks]
        g_value = self.value_mean[np.maximum(g_ch, 0)]
        g_value = np.where(g_ch >= 0, g_value, 0.0).sum(axis=1) / g_len
        expand = (lambda a: a) if inverse is None else (lambda a: a[inverse])
        p_row = expand(p_all)
        m_row = expand(g_value)
        if population:
            conversions = weight * p_row
            nulls = weight * (1 - p_row)
            value = conversions * m_row
        else:
            converted = rng_out.random(n) < p_row
            conversions = converted.astype(np.float64)
            nulls = 1.0 - conversions
            s = p["value_sigma"]
            factor = np.exp(rng_out.normal(-0.5 * s * s, s, n))
            value = np.where(converted, np.round(m_row * factor, 2), 0.0)
        gw = weight if inverse is None else np.bincount(inverse, weights=weight, minlength=G)
        lost = p_all[:, None] - p_minus
        truth = Truth(
            channels=p["channels"],
            incremental=gw @ phi,
            incremental_value=(gw * g_value) @ phi,
            removal=gw @ lost,
            removal_value=(gw * g_value) @ lost,
            expected_conversions=float(gw @ p_all),
            baseline_conversions=float(gw @ p_none),
            journeys=float(gw.sum()),
            expected_value=float((gw * g_value) @ p_all),
        )
        j = _journeys(p["channels"], ch, length, conversions, value, nulls, self.name)
        rows = dict(
            ch=ch, length=length, days=days, conversions=conversions, value=value, latent=latent
        )
        return Simulation(self.name, dict(p), n, seed, population, j, truth, coverage, rows)

    def _response(self, ch, length, days, latent, bits) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    # -------------------------------------------------------------- helpers for responses
    def _counts(self, ch) -> np.ndarray:
        """``(n, C)`` touches per channel."""
        C = len(self.params["channels"])
        return (ch[:, :, None] == np.arange(C)).sum(axis=1).astype(np.float64)


def _journeys(channels, ch, length, conversions, value, nulls, name) -> Journeys:
    """Aggregated journeys: rows merged by path (the sufficient statistics models read)."""
    first, inverse = K.group_rows(ch)
    G = len(first)
    conversions, value, nulls = (
        np.bincount(inverse, weights=a, minlength=G) for a in (conversions, value, nulls)
    )
    keep = (conversions + nulls) > 0
    touches, offsets = K.to_csr(ch[first][keep], length[first][keep])
    return Journeys(
        channels,
        touches,
        offsets,
        conversions[keep],
        value[keep],
        nulls[keep],
        source=f"simulate:{name}",
    )


# ---------------------------------------------------------------------- the worlds
class Additive(ExposureScenario):
    """``P(convert) = baseline + sum_c beta_c [journey exposed to c]``.

    A linear probability model in the exposure indicators: repeats add nothing.
    The incremental game of a journey is additive, so its Shapley value gives
    ``beta_c`` to each channel it saw, and the truth is exactly
    ``beta_c x (journeys exposed to c)``; removal equals incremental.
    Requires ``baseline + sum(beta) <= 1``.
    """

    name = "additive"
    summary = "P(convert) = baseline + sum of beta_c over channels seen; truth = beta x exposed"
    defaults = {
        "baseline": 0.006,
        "beta": {
            "search": 0.012,
            "display": 0.004,
            "social": 0.003,
            "email": 0.010,
            "affiliate": 0.006,
            "direct": 0.002,
        },
    }

    def _check_response(self):
        self.baseline = _real("baseline", self.params["baseline"], low=0, high=1)
        self.beta = self._channel_map("beta", low=0, high=1)
        if self.baseline + self.beta.sum() > 1:
            raise InputError("baseline + sum(beta) must be at most 1 (a probability)")

    def _baseline(self, latent):
        return np.full(len(latent), self.baseline)

    def _response(self, ch, length, days, latent, bits):
        E = self._counts(ch) > 0
        return self._baseline(latent)[:, None] + (E * self.beta) @ bits.T.astype(np.float64)


class NoisyOr(ExposureScenario):
    """Each touch of channel ``c`` converts on its own with probability ``p_c``; so does the
    baseline: ``P(convert) = 1 - (1 - baseline) prod_touches (1 - p_c)``.

    Channels are substitutes: a journey converted by one touch cannot be
    converted again, so removal credits sum to less than the incremental total.
    """

    name = "noisy_or"
    summary = "each touch converts on its own with p_c (and the baseline): 1 - (1-b) prod (1-p_c)"
    defaults = {
        "baseline": 0.006,
        "p": {
            "search": 0.009,
            "display": 0.003,
            "social": 0.002,
            "email": 0.008,
            "affiliate": 0.005,
            "direct": 0.002,
        },
    }

    def _check_response(self):
        self.baseline = _real("baseline", self.params["baseline"], low=0, high=1)
        self.p = self._channel_map(
            "p",
            low=0,
            high=1,
        )
        if np.any(self.p >= 1):
            raise InputError("p must be below 1 for every channel")

    def _log_survival(self, ch, days):
        return self._counts(ch) * np.log1p(-self.p)

    def _response(self, ch, length, days, latent, bits):
        logq = self._log_survival(ch, days)
        return 1.0 - (1.0 - self.baseline) * np.exp(logq @ bits.T.astype(np.float64))


class Decay(NoisyOr):
    """Noisy-or whose touch effects decay with the time to the decision:
    ``P(convert) = 1 - (1 - baseline) prod_touches (1 - p_c 2^(-t / h_c))``,
    ``t`` the days from the touch to the decision, ``h_c`` the channel's half-life.

    What time-decay attribution assumes, with half-lives per channel; the truth
    depends on each journey's touch times.
    """

    name = "decay"
    summary = "noisy-or, each touch's effect halving every half_life[c] days before the decision"
    uses_time = True
    defaults = {
        "baseline": 0.006,
        "p": {
            "search": 0.012,
            "display": 0.006,
            "social": 0.004,
            "email": 0.010,
            "affiliate": 0.007,
            "direct": 0.003,
        },
        "half_life": {
            "search": 1.0,
            "display": 7.0,
            "social": 3.0,
            "email": 2.0,
            "affiliate": 1.0,
            "direct": 0.5,
        },
    }

    def _check_response(self):
        super()._check_response()
        self.half_life = self._channel_map("half_life", low=0, low_open=True)

    def _log_survival(self, ch, days):
        C = len(self.params["channels"])
        c = np.maximum(ch, 0)
        w = np.exp2(-np.nan_to_num(days, nan=0.0) / self.half_life[c])
        term = np.where(ch >= 0, np.log1p(-self.p[c] * w), 0.0)
        onehot = ch[:, :, None] == np.arange(C)
        return (term[:, :, None] * onehot).sum(axis=1)


class Logistic(ExposureScenario):
    """``P(convert) = sigmoid(intercept + sum_c beta_c log2(1 + n_c))``, ``n_c`` the touches of c.

    Diminishing returns in repeats; on the logit scale channels add, on the
    probability scale they reinforce each other a little (the curve is convex
    at low rates), so removal credits exceed the incremental ones.
    """

    name = "logistic"
    summary = "logit P(convert) = intercept + sum beta_c log2(1 + touches of c)"
    defaults = {
        "intercept": -5.0,
        "beta": {
            "search": 1.0,
            "display": 0.4,
            "social": 0.3,
            "email": 0.9,
            "affiliate": 0.6,
            "direct": 0.2,
        },
    }

    def _check_response(self):
        self.intercept = _real("intercept", self.params["intercept"], low=-20, high=20)
        self.beta = self._channel_map("beta", low=-10, high=10)

    def _response(self, ch, length, days, latent, bits):
        X = np.log2(1.0 + self._counts(ch)) * self.beta
        return 1.0 / (1.0 + np.exp(-(self.intercept + X @ bits.T.astype(np.float64))))


def _pairs(name, value, channels) -> list[tuple[int, int, float]]:
    if not isinstance(value, dict):
        raise InputError(f"{name} must map channel pairs to numbers, got {value!r}")
    out = []
    for key, g in value.items():
        pair = tuple(key.split("&")) if isinstance(key, str) else tuple(key)
        pair = tuple(str(c).strip() for c in pair)
        if len(pair) != 2 or pair[0] == pair[1] or set(pair) - set(channels):
            raise InputError(f"{name} key {key!r} must be two distinct known channels")
        out.append(
            (
                channels.index(pair[0]),
                channels.index(pair[1]),
                _real(f"{name}[{key!r}]", g, low=-1, high=1),
            )
        )
    return out


class Synergy(Additive):
    """Additive plus pairwise interactions:
    ``P = baseline + sum_c beta_c E_c + sum_{c<d} gamma_cd E_c E_d`` (``E_c``: exposed to c).

    The Shapley truth gives each channel of a pair half of its interaction
    ``gamma_cd``; removal counts the whole interaction for both channels.
    ``synergy`` maps ``"a & b"`` (or ``("a", "b")``) to ``gamma``; negative values
    are substitutes. Every coalition's probability must lie in [0, 1].
    """

    name = "synergy"
    summary = "additive plus pairwise interaction terms gamma for channel pairs seen together"
    defaults = {
        "baseline": 0.006,
        "beta": {
            "search": 0.008,
            "display": 0.002,
            "social": 0.002,
            "email": 0.008,
            "affiliate": 0.005,
            "direct": 0.002,
        },
        "synergy": {"display & search": 0.020, "social & email": 0.010},
    }

    def _check_response(self):
        self.baseline = _real("baseline", self.params["baseline"], low=0, high=1)
        self.beta = self._channel_map("beta", low=0, high=1)
        self.pairs = _pairs("synergy", self.params["synergy"], self.params["channels"])
        C = len(self.params["channels"])
        bits = mask_bits(C)
        ch = np.arange(C, dtype=np.int16)[None]
        V = self._response(ch, np.array([C]), None, np.zeros(1, int), bits)
        if V.min() < 0 or V.max() > 1:
            raise InputError("baseline, beta and synergy give a probability outside [0, 1]")

    def _response(self, ch, length, days, latent, bits):
        V = super()._response(ch, length, days, latent, bits)
        E = self._counts(ch) > 0
        F = bits.astype(np.float64)
        for a, b, g in self.pairs:
            V += g * (E[:, a] & E[:, b]).astype(np.float64)[:, None] * (F[:, a] * F[:, b])[None]
        return V


class Order(Additive):
    """A channel that works only after another: additive, plus ``lift`` when a touch
    of ``after`` (default display) precedes a touch of ``channel`` (default search).

    ``P = baseline + sum_c beta_c E_c + lift [an 'after' touch comes before a 'channel'
    touch]``. The reverse order earns nothing extra. Shapley splits the lift
    between the two channels; position-based rules cannot tell the orders apart
    by channel sets alone.
    """

    name = "order"
    summary = "search converts (lift) only after a display touch earlier on the path"
    defaults = {
        "baseline": 0.006,
        "beta": {
            "search": 0.004,
            "display": 0.001,
            "social": 0.002,
            "email": 0.008,
            "affiliate": 0.005,
            "direct": 0.002,
        },
        "after": "display",
        "channel": "search",
        "lift": 0.04,
    }

    def _check_response(self):
        super()._check_response()
        chans = self.params["channels"]
        for k in ("after", "channel"):
            if self.params[k] not in chans:
                raise InputError(
                    f"{k} must be one of the channels {list(chans)}, got {self.params[k]!r}"
                )
        if self.params["after"] == self.params["channel"]:
            raise InputError("after and channel must differ")
        self.lift = _real("lift", self.params["lift"], low=0, high=1)
        if self.baseline + self.beta.sum() + self.lift > 1:
            raise InputError("baseline + sum(beta) + lift must be at most 1")
        self.a = chans.index(self.params["after"])
        self.b = chans.index(self.params["channel"])

    def _response(self, ch, length, days, latent, bits):
        V = super()._response(ch, length, days, latent, bits)
        L = ch.shape[1]
        pos = np.arange(L)
        first_a = np.where(ch == self.a, pos, L).min(axis=1)
        last_b = np.where(ch == self.b, pos, -1).max(axis=1)
        ordered = (first_a < last_b).astype(np.float64)
        F = bits.astype(np.float64)
        return V + self.lift * ordered[:, None] * (F[:, self.a] * F[:, self.b])[None]


class Confounded(Additive):
    """Additive response plus a latent purchase intent that drives both the baseline and
    exposure to ``targeted`` channels, which have no effect (beta 0).

    A share ``intent_share`` of journeys are high-intent: baseline
    ``baseline_high`` instead of ``baseline``, and their channel mixes (``mix``
    and ``next_mix``) multiply the targeted channels' weight by ``targeting``
    (retargeting and brand search find people about to buy). The targeted
    channels' true credit is zero under both definitions; observational models
    credit them anyway, and nothing in the paths can tell them apart.
    """

    name = "confounded"
    summary = "latent intent raises baseline and retargeting / brand_search exposure (no effect)"
    defaults = {
        "channels": ("search", "display", "social", "email", "retargeting", "brand_search"),
        "mix": {
            "search": 0.24,
            "display": 0.30,
            "social": 0.22,
            "email": 0.12,
            "retargeting": 0.07,
            "brand_search": 0.05,
        },
        "next_mix": {
            "search": 0.30,
            "display": 0.14,
            "social": 0.12,
            "email": 0.16,
            "retargeting": 0.16,
            "brand_search": 0.12,
        },
        "value_mean": {
            "search": 90.0,
            "display": 70.0,
            "social": 60.0,
            "email": 110.0,
            "retargeting": 85.0,
            "brand_search": 95.0,
        },
        "baseline": 0.003,
        "baseline_high": 0.08,
        "intent_share": 0.1,
        "targeting": 8.0,
        "targeted": ("retargeting", "brand_search"),
        "beta": {
            "search": 0.010,
            "display": 0.004,
            "social": 0.003,
            "email": 0.008,
            "retargeting": 0.0,
            "brand_search": 0.0,
        },
    }

    def _check_response(self):
        super()._check_response()
        p = self.params
        self.baseline_high = _real("baseline_high", p["baseline_high"], low=0, high=1)
        if self.baseline_high + self.beta.sum() > 1:
            raise InputError("baseline_high + sum(beta) must be at most 1")
        share = _real("intent_share", p["intent_share"], low=0, high=1)
        tilt = _real("targeting", p["targeting"], low=0, low_open=True)
        targeted = tuple(p["targeted"])
        if isinstance(p["targeted"], str) or set(targeted) - set(p["channels"]):
            raise InputError(f"targeted must be a list of channels, got {p['targeted']!r}")
        p["targeted"] = targeted
        idx = [p["channels"].index(c) for c in targeted]
        if np.any(self.beta[idx] != 0):
            raise InputError("beta of the targeted channels must be 0 (they have no effect)")

        def tilted(m):
            m = m.copy()
            m[idx] *= tilt
            return m / m.sum()

        C = len(p["channels"])
        r = p["repeat"]
        self.mixes = np.stack([self.mix, tilted(self.mix)])
        self.transes = np.stack(
            [
                (1 - r) * np.tile(m, (C, 1)) + r * np.eye(C)
                for m in (self.next_mix, tilted(self.next_mix))
            ]
        )
        self.latent_probs = np.array([1 - share, share])
        self.baselines = np.array([self.baseline, self.baseline_high])

    def _exposure_model(self):
        return self.mixes, self.transes, self.latent_probs

    def _baseline(self, latent):
        return self.baselines[latent]


class Funnel(ExposureScenario):
    """Latent stages (unaware -> aware -> considering -> ready) that exposures move
    people through (Abhishek, Fader and Hosanagar 2012; Singal et al. 2022).

    A journey starts in stage ``s`` with probability ``start_stage[s]``; a touch of
    channel ``c`` in stage ``s`` moves it to ``s + 1`` with probability
    ``advance[c][s]`` (display and social work early, search and email late); at
    the decision it converts with probability ``stage_conversion[s]`` of its
    stage. The truth is exact: a dynamic programme over the stages gives the
    conversion probability with any set of channels' touches withheld (they
    then move nobody), for every coalition.
    """

    name = "funnel"
    summary = "touches move people through latent stages; conversion depends on the final stage"
    defaults = {
        "start_stage": (0.70, 0.20, 0.08, 0.02),
        "stage_conversion": (0.002, 0.008, 0.04, 0.25),
        "advance": {
            "search": (0.05, 0.20, 0.35),
            "display": (0.35, 0.10, 0.02),
            "social": (0.30, 0.08, 0.02),
            "email": (0.05, 0.25, 0.20),
            "affiliate": (0.05, 0.15, 0.25),
            "direct": (0.02, 0.05, 0.15),
        },
    }

    def _check_response(self):
        p = self.params
        start = np.array(
            [_real(f"start_stage[{i}]", x, low=0) for i, x in enumerate(p["start_stage"])]
        )
        if len(start) < 2 or start.sum() <= 0:
            raise InputError("start_stage must give at least two stages a total weight > 0")
        self.start = start / start.sum()
        S = len(start)
        self.stage_conv = np.array(
            [
                _real(f"stage_conversion[{i}]", x, low=0, high=1)
                for i, x in enumerate(p["stage_conversion"])
            ]
        )
        if len(self.stage_conv) != S:
            raise InputError(f"stage_conversion must have one entry per stage ({S})")
        adv = p["advance"]
        chans = p["channels"]
        if not isinstance(adv, dict) or set(adv) - set(chans):
            raise InputError("advance must map channels to per-stage probabilities")
        missing = [c for c in chans if c not in adv]
        if missing:
            raise InputError(f"advance has no value for channel(s) {missing}")
        self.adv = np.zeros((len(chans), S))
        for i, c in enumerate(chans):
            row = list(adv[c])
            if len(row) != S - 1:
                raise InputError(f"advance[{c!r}] must have {S - 1} probabilities")
            self.adv[i, : S - 1] = [
                _real(f"advance[{c!r}][{s}]", x, low=0, high=1) for s, x in enumerate(row)
            ]

    def _response(self, ch, length, days, latent, bits):
        n, M, S = len(ch), bits.shape[0], len(self.start)
        dist = np.broadcast_to(self.start, (n, M, S)).copy()
        for t in range(ch.shape[1]):
            c = ch[:, t]
            valid = c >= 0
            if not valid.any():
                break
            cc = np.maximum(c, 0)
            act = bits[:, cc].T & valid[:, None]  # (n, M)
            move = dist * (self.adv[cc][:, None, :] * act[:, :, None])
            dist -= move
            dist[..., 1:] += move[..., :-1]
        return dist @ self.stage_conv


# ---------------------------------------------------------------------- Markov world
class MarkovWorld(Scenario):
    """Journeys are walks of a known absorbing Markov chain of order ``order`` over channels.

    After a touch, a journey in state ``w`` (its last ``order`` channels, fewer at
    the start) converts with probability ``kappa(w)``; otherwise it goes on with
    probability ``continue_prob`` to a next channel drawn as in the exposure
    process (``repeat``, ``next_mix``; the first from ``mix``), or ends without
    conversion. ``kappa(w) =
    min(conversion[last channel] x prod of assist[d] over the other distinct
    channels d in w, 0.95)``: at order 1 a plain chain, at higher orders earlier
    channels lift later conversions (the chain needs that many states).

    The removal assumption holds by construction (withholding a channel sends
    journeys that reach it to null). Truth, exact from the chain
    (:class:`pathcredit._absorbing.AbsorbingSolver`, the solver of the Markov
    model, no simulation): removal
    ``n x (P(conv) - P(conv | c removed))`` and incremental ``n x`` the Shapley
    value of the game ``v(S) = P(conv | only the channels in S kept)``
    (``v(empty) = 0``: every journey starts with a touch). The removal *shares*
    are what ``markov(order=order)`` estimates. Sampled journeys are cut at
    ``max_length`` touches (the cut ones end without conversion; probability
    below 1e-8 at the defaults). In population mode the truth is still the whole
    chain's, while the returned paths leave out those below ``population_tol``
    (about 0.3 % of journeys at the defaults; see ``coverage``).
    """

    name = "markov"
    summary = "journeys are walks of a known Markov chain (any order); truth = removal effects"
    defaults = {
        "channels": CHANNELS,
        "order": 1,
        "mix": EXPOSURE_DEFAULTS["mix"],
        "next_mix": EXPOSURE_DEFAULTS["next_mix"],
        "repeat": 0.3,
        "continue_prob": 0.45,
        "conversion": {
            "search": 0.020,
            "display": 0.004,
            "social": 0.004,
            "email": 0.016,
            "affiliate": 0.010,
            "direct": 0.020,
        },
        "assist": {
            "search": 1.2,
            "display": 2.0,
            "social": 1.5,
            "email": 1.3,
            "affiliate": 1.0,
            "direct": 1.0,
        },
        "max_length": 30,
        "mean_gap_days": 2.0,
        "lag_days": 0.5,
        "days": 90.0,
        "start": "2024-01-01",
        "value_mean": EXPOSURE_DEFAULTS["value_mean"],
        "value_sigma": 0.6,
        "cross_device": 0.0,
        "offline_channels": (),
        "population_tol": 1e-7,
        "time_draws": 16,
    }

    _channel_map = ExposureScenario._channel_map

    def _check(self):
        p = self.params
        chans = tuple(p["channels"])
        if len(set(chans)) != len(chans) or not 1 <= len(chans) <= 8:
            raise InputError(f"channels must be 1 to 8 distinct names, got {list(chans)}")
        p["channels"] = chans
        p["order"] = _int("order", p["order"], low=1, high=4)
        mix = self._channel_map("mix", low=0)
        if mix.sum() <= 0:
            raise InputError("mix must give some channel a positive weight")
        self.mix = mix / mix.sum()
        nxt = self._channel_map("next_mix", low=0)
        if nxt.sum() <= 0:
            raise InputError("next_mix must give some channel a positive weight")
        self.next_mix = nxt / nxt.sum()
        _real("repeat", p["repeat"], low=0, high=1, high_open=True)
        _real("continue_prob", p["continue_prob"], low=0, high=1, high_open=True)
        self.conv = self._channel_map("conversion", low=0, high=1)
        self.assist = self._channel_map("assist", low=0)
        p["max_length"] = _int("max_length", p["max_length"], low=1, high=200)
        for k in ("mean_gap_days", "lag_days", "days"):
            _real(k, p[k], low=0, low_open=True)
        self.value_mean = self._channel_map("value_mean", low=0, low_open=True)
        _real("value_sigma", p["value_sigma"], low=0, high=3)
        _real("cross_device", p["cross_device"], low=0, high=1)
        p["offline_channels"] = tuple(p["offline_channels"])
        if set(p["offline_channels"]) - set(chans):
            raise InputError("offline_channels names unknown channels")
        _real("population_tol", p["population_tol"], low=0, high=0.01, low_open=True)
        p["time_draws"] = _int("time_draws", p["time_draws"], low=1, high=1000)
        C = len(chans)
        self.trans = (1 - p["repeat"]) * np.tile(self.next_mix, (C, 1)) + p["repeat"] * np.eye(C)
        self._build_states()

    def _build_states(self):
        """States: every channel tuple of length 1..order; next state and kappa per state."""
        k = self.params["order"]
        C = len(self.params["channels"])
        states = [s for n in range(1, k + 1) for s in itertools.product(range(C), repeat=n)]
        index = {s: i for i, s in enumerate(states)}
        S = len(states)
        nxt = np.empty((S, C), dtype=np.int64)
        kappa = np.empty(S)
        windows = np.zeros((S, k), dtype=np.int64)
        for i, s in enumerate(states):
            for c in range(C):
                t = s + (c,)
                nxt[i, c] = index[t if len(t) <= k else t[1:]]
            others = set(s[:-1]) - {s[-1]}
            kappa[i] = min(self.conv[s[-1]] * np.prod([self.assist[d] for d in others]), 0.95)
            windows[i, : len(s)] = np.array(s) + 1
        self.states, self.nxt, self.kappa, self.windows = states, nxt, kappa, windows
        self.last = np.array([s[-1] for s in states])
        self.start_state = np.array([index[(c,)] for c in range(C)])

    def _chain(self) -> AbsorbingSolver:
        """The true chain's solver: start, transient states, conversion and null.

        The same system the Markov model fits to journeys (transition weights per
        state, rewards per state, :meth:`AbsorbingSolver.from_counts`), built from
        the world's own probabilities instead of counts.
        """
        S, C = self.nxt.shape
        cont = self.params["continue_prob"]
        go = (1 - self.kappa) * cont
        rows = np.repeat(np.arange(S), C)
        probs = (go[:, None] * self.trans[self.last]).ravel()
        counts = sp.coo_matrix((probs, (rows, self.nxt.ravel())), shape=(S + 1, S)).tocsr()
        start = sp.csr_matrix((self.mix, (np.full(C, S), self.start_state)), shape=(S + 1, S))
        counts = (counts + start).tocsr()
        null = (1 - self.kappa) * (1 - cont)
        value = self.kappa * self.value_mean[self.last]
        return AbsorbingSolver.from_counts(counts, self.kappa.copy(), null, value)

    def _truth(self, n) -> Truth:
        solver = self._chain()
        C = len(self.params["channels"])
        chans = self.params["channels"]
        bits = mask_bits(C)
        # coalition S keeps the states whose window holds only channels of S
        contains = contains_channels(self.windows, C)
        keeps = ~(contains[None, :, :] & ~bits[:, None, :]).any(axis=2)
        pv = solver.unscale(solver.solve_kept(keeps))  # (2**C, 2): P(conv), E(value)
        W = shapley_matrix(C)
        full = 2**C - 1
        rm = full ^ (1 << np.arange(C))
        return Truth(
            channels=chans,
            incremental=n * (pv[:, 0] @ W),
            incremental_value=n * (pv[:, 1] @ W),
            removal=n * (pv[full, 0] - pv[rm, 0]),
            removal_value=n * (pv[full, 1] - pv[rm, 1]),
            expected_conversions=n * float(pv[full, 0]),
            baseline_conversions=0.0,
            journeys=float(n),
            expected_value=n * float(pv[full, 1]),
            extras={
                "removal_effects": dict(
                    zip(chans, (1 - pv[rm, 0] / pv[full, 0]).tolist(), strict=True)
                )
            },
        )

    def _simulate(self, n, seed, population):
        p = self.params
        cont = p["continue_prob"]
        L = p["max_length"]
        rng_walk, rng_out, rng_time = (
            np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3)
        )
        if population:
            ch, length, conv_p = self._enumerate(p["population_tol"], L)
            coverage = float(conv_p.sum())
            conversions = n * conv_p[:, 0]
            nulls = n * conv_p[:, 1]
            days = None
        else:
            ch = np.full((n, L), -1, dtype=np.int16)
            state = self.start_state[K.sample_categorical(rng_walk, np.tile(self.mix, (n, 1)))]
            ch[:, 0] = self.last[state]
            alive = np.arange(n)
            length = np.ones(n, dtype=np.int64)
            converted = np.zeros(n, dtype=bool)
            for t in range(1, L + 1):
                s = state[alive]
                u = rng_walk.random(len(alive))
                conv = u < self.kappa[s]
                converted[alive[conv]] = True
                go = (~conv) & (u < self.kappa[s] + (1 - self.kappa[s]) * cont)
                alive, s = alive[go], s[go]
                if t == L or not len(alive):
                    break
                c = K.sample_categorical(rng_walk, self.trans[self.last[s]])
                ch[alive, t] = c
                length[alive] += 1
                state[alive] = self.nxt[s, c]
            conversions = converted.astype(np.float64)
            nulls = 1.0 - conversions
            coverage = 1.0
            width = int(length.max())
            days = K.sample_days_before(rng_time, length, width, p["mean_gap_days"], p["lag_days"])
        width = int(length.max())
        ch = ch[:, :width]
        if days is not None:
            days = days[:, :width]
        last = ch[np.arange(len(ch)), length - 1]
        m = self.value_mean[last]
        if population:
            value = conversions * m
        else:
            s = p["value_sigma"]
            factor = np.exp(rng_out.normal(-0.5 * s * s, s, n))
            value = np.where(conversions > 0, np.round(m * factor, 2), 0.0)
        j = _journeys(p["channels"], ch, length, conversions, value, nulls, self.name)
        rows = dict(
            ch=ch,
            length=length,
            days=days,
            conversions=conversions,
            value=value,
            latent=np.zeros(len(ch), dtype=np.int64),
        )
        return Simulation(
            self.name, dict(p), n, seed, population, j, self._truth(n), coverage, rows
        )

    def _enumerate(self, tol, L):
        """Paths with prefix probability >= tol: ``ch, length, (P(path, conv), P(path, null))``."""
        cont = self.params["continue_prob"]
        C = len(self.params["channels"])
        out_ch, out_len, out_p = [], [], []
        prefix = np.arange(C, dtype=np.int16)[:, None]
        q = self.mix.copy()
        state = self.start_state.copy()
        for ln in range(1, L + 1):
            keep = q > 0
            prefix, q, state = prefix[keep], q[keep], state[keep]
            if not len(q):
                break
            kap = self.kappa[state]
            padded = np.full((len(q), L), -1, dtype=np.int16)
            padded[:, :ln] = prefix
            out_ch.append(padded)
            out_len.append(np.full(len(q), ln))
            last_step = ln == L
            null = q * (1 - kap) * (1.0 if last_step else 1 - cont)
            out_p.append(np.column_stack([q * kap, null]))
            if last_step:
                break
            go = q * (1 - kap) * cont
            ext = go >= tol
            prefix, go, state = prefix[ext], go[ext], state[ext]
            child = (go[:, None] * self.trans[self.last[state]]).ravel()
            nstate = self.nxt[state].ravel()
            child_c = np.tile(np.arange(C, dtype=np.int16), len(go))[:, None]
            prefix = np.concatenate([np.repeat(prefix, C, axis=0), child_c], axis=1)
            q, state = child, nstate
        return np.concatenate(out_ch), np.concatenate(out_len), np.concatenate(out_p)


# ---------------------------------------------------------------------- event log
def _event_log(sim: Simulation):
    import pandas as pd
    import pyarrow as pa

    p = sim.params
    r = sim._rows
    ch, length, days = r["ch"], r["length"], r["days"]
    n = len(length)
    rng = np.random.default_rng(np.random.SeedSequence(sim.seed).spawn(4)[3])
    us_day = 86_400_000_000
    span = days[:, 0]  # first touch to decision
    start = rng.uniform(0, p["days"], n)
    decision = ((start + span) * us_day).astype(np.int64)
    valid = ch >= 0
    touch_t = decision[:, None] - np.round(np.nan_to_num(days) * us_day).astype(np.int64)
    person = np.repeat(np.arange(n), length)
    t = touch_t[valid]
    c = ch[valid].astype(np.int64)
    suffix = np.zeros(len(t), dtype=np.int64)  # 0: main id, 1: second device, 2: offline
    if p["cross_device"] > 0:
        cross = rng.random(n) < p["cross_device"]
        suffix[cross[person] & (rng.random(len(t)) < 0.5)] = 1
    offline = [p["channels"].index(x) for x in p["offline_channels"]]
    if offline:
        suffix[np.isin(c, offline)] = 2
    conv = r["conversions"] > 0
    k = int(conv.sum())
    users = np.concatenate([person, np.flatnonzero(conv)])
    ids = np.concatenate([suffix, np.zeros(k, dtype=np.int64)])
    times = np.concatenate([t, decision[conv]])
    chans = np.concatenate([c, np.full(k, -1)])
    flags = np.concatenate([np.zeros(len(t), np.int64), np.ones(k, np.int64)])
    vals = np.concatenate([np.zeros(len(t)), r["value"][conv]])
    order = np.lexsort((flags, users, times))
    base = int(pd.Timestamp(p["start"]).value) // 1000  # ns -> us
    names = np.array([f"u{i}" for i in range(n)], dtype=object)
    tails = np.array(["", "~d2", "~offline"], dtype=object)
    uid = names[users[order]] + tails[ids[order]]
    chan = pa.array(np.array([*p["channels"], None], dtype=object)[chans[order]], type=pa.string())
    events = pd.DataFrame(
        {
            "user_id": pd.Series(pa.array(uid, type=pa.string()).to_pandas(), copy=False),
            "timestamp": (base + times[order]).astype("datetime64[us]"),
            "channel": pd.Series(chan.to_pandas(), copy=False),
            "conversion": flags[order],
            "value": vals[order],
        }
    )
    identity = None
    if suffix.any():
        used = np.unique(person[suffix > 0] * 3 + suffix[suffix > 0])
        identity = pd.DataFrame(
            {
                "device_id": [f"u{u // 3}{tails[u % 3]}" for u in used],
                "person_id": [f"u{u // 3}" for u in used],
            }
        )
    return events, identity


# ---------------------------------------------------------------------- registry
SCENARIOS: dict[str, type[Scenario]] = {
    s.name: s
    for s in (MarkovWorld, Additive, NoisyOr, Logistic, Synergy, Order, Decay, Funnel, Confounded)
}


def get_scenario(name: str, **params) -> Scenario:
    """The scenario called ``name`` with its parameters checked (defaults filled in)."""
    if name not in SCENARIOS:
        raise InputError(f"unknown scenario {name!r}; choose one of {sorted(SCENARIOS)}")
    return SCENARIOS[name](**params)


def list_scenarios() -> dict[str, str]:
    """Scenario name -> one-line description."""
    return {name: cls.summary for name, cls in SCENARIOS.items()}


def simulate_journeys(
    scenario: str = "additive",
    n_journeys: int = 100_000,
    *,
    seed=0,
    population: bool = False,
    **params,
) -> Simulation:
    """Simulate journeys from a named scenario, with their true credit.

    Parameters
    ----------
    scenario : str, default "additive"
        One of :data:`SCENARIOS` (``list_scenarios()`` describes them).
    n_journeys : int, default 100 000
        Journeys to sample (population mode: the total of the expected counts).
    seed : int, optional
        The same seed gives the same journeys, truth and event log.
    population : bool, default False
        Expected path counts (fractional conversions and nulls) instead of a sample.
    **params
        The scenario's parameters (see its class docstring); channel mappings may
        be partial.

    Returns
    -------
    Simulation
        ``.journeys``, ``.truth``, ``.events()``, ``.timed_journeys()``, ``.to_dict()``.

    Raises
    ------
    InputError
        Unknown scenario or parameter, or a value out of range (named).

    Examples
    --------
    >>> sim = simulate_journeys("additive", 10_000, seed=1)
    >>> sim.truth.channels
    ('search', 'display', 'social', 'email', 'affiliate', 'direct')
    >>> sim.truth.table().query("truth == 'incremental'").round(3).head(2)
        channel        truth  conversions    value  share
    0    search  incremental       41.208  3632.753  0.453
    1   display  incremental       13.000   970.630  0.143

    Population mode: expected counts of ``n_journeys`` journeys (less what is left out):

    >>> pop = simulate_journeys("additive", 1000, population=True)
    >>> j = pop.journeys
    >>> round(j.total_conversions + j.total_nulls - 1000 * pop.coverage, 9)
    0.0

    Notes
    -----
    Cost: sampling is O(n x max_length); the truth evaluates each distinct
    path's game on all ``2**C`` coalitions, O(paths x 2**C x C) (per journey
    when the response depends on touch times).
    """
    return get_scenario(scenario, **params).simulate(n_journeys, seed=seed, population=population)
