"""The pieces every world shares: the result (:class:`Simulation`), the base class
(:class:`Scenario`) with its parameter checks, the shared defaults and the
aggregation of simulated rows into :class:`~pathcredit.Journeys`.

The worlds themselves are in :mod:`~pathcredit.simulate.exposure` (the eight
exposure-response worlds) and :mod:`~pathcredit.simulate.markov_world`; the
registry of names is :mod:`~pathcredit.simulate.scenarios` (see its notes for the
model of each family).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from .._params import check_integer, check_real, check_seed
from ..exceptions import InputError
from ..journeys import Journeys
from . import _kernels as K
from .event_log import event_log
from .truth import Truth

__all__ = ["CHANNELS", "EXPOSURE_DEFAULTS", "Scenario", "Simulation"]

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
            self._rows["events"], self._rows["identity"] = event_log(self)
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

    # -------------------------------------------------------------- shared checks
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

    def _check_process(self, *, max_channels: int, max_length: int) -> None:
        """Check the parameters both families share and set ``mix``, ``next_mix``,
        ``value_mean`` (arrays in channel order; the mixes normalised).

        Channels, the touch process (``mix``, ``next_mix``, ``repeat``,
        ``continue_prob``, ``max_length`` up to ``max_length``), the times, the
        value, the identity splits (``cross_device``, ``offline_channels``) and the
        population settings, each named in its :class:`~pathcredit.InputError`.
        """
        p = self.params
        chans = p["channels"]
        if isinstance(chans, str) or not all(isinstance(c, str) and c.strip() for c in chans):
            raise InputError(f"channels must be a sequence of non-empty names, got {chans!r}")
        chans = tuple(c.strip() for c in chans)
        if len(set(chans)) != len(chans) or not 1 <= len(chans) <= max_channels:
            raise InputError(
                f"channels must be 1 to {max_channels} distinct names, got {list(chans)}"
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
        p["max_length"] = _int("max_length", p["max_length"], low=1, high=max_length)
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
            pd.Timestamp(p["start"])
        except Exception:
            raise InputError(f"start must be a date, got {p['start']!r}") from None

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
