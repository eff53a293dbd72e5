"""The exposure-response worlds: an exposure process, then ``P(convert | exposures)``.

``additive``, ``noisy_or``, ``decay``, ``logistic``, ``synergy``, ``order``,
``confounded`` and ``funnel`` (after Kelly, Vaver and Koehler 2018 and Shender et
al. 2023); the process, the truth and the references are described in
:mod:`pathcredit.simulate.scenarios`. Each world is one subclass of
:class:`ExposureScenario` implementing ``_response``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from .._games import mask_bits, shapley_matrix
from ..exceptions import InputError
from . import _kernels as K
from ._base import (
    _POPULATION_TIME_SEED,
    EXPOSURE_DEFAULTS,
    Scenario,
    Simulation,
    _journeys,
    _real,
)
from .truth import Truth

__all__ = [
    "ExposureScenario",
    "Additive",
    "NoisyOr",
    "Decay",
    "Logistic",
    "Synergy",
    "Order",
    "Confounded",
    "Funnel",
]

_MAX_CHANNELS = 10
_CHUNK = 32768


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
    def _check(self) -> None:
        p = self.params
        self._check_process(max_channels=_MAX_CHANNELS, max_length=30)
        chans = p["channels"]
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
