"""The Markov world: journeys are walks of a known absorbing Markov chain over channels.

The world where the removal assumption holds (Anderl et al. 2016; Archak et al.
2010). Its truth is exact, from the chain itself: the removal and Shapley games
are solved by :class:`pathcredit._absorbing.AbsorbingSolver`, the solver the
Markov model uses, so this module needs nothing of :mod:`pathcredit.models`.
"""

from __future__ import annotations

import itertools

import numpy as np
import scipy.sparse as sp

from .._absorbing import AbsorbingSolver, contains_channels
from .._games import mask_bits, shapley_matrix
from . import _kernels as K
from ._base import CHANNELS, EXPOSURE_DEFAULTS, Scenario, Simulation, _int, _journeys
from .truth import Truth

__all__ = ["MarkovWorld"]


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

    def _check(self):
        p = self.params
        self._check_process(max_channels=8, max_length=200)
        chans = p["channels"]
        p["order"] = _int("order", p["order"], low=1, high=4)
        self.conv = self._channel_map("conversion", low=0, high=1)
        self.assist = self._channel_map("assist", low=0)
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
