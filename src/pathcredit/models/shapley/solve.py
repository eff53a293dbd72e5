"""Shapley credit per journey: each path's conversions split by its game's Shapley values.

:func:`shapley` and :func:`ordered_shapley`; the games they solve are in
:mod:`~pathcredit.models.shapley.games`, the exact and sampled Shapley kernels in
:mod:`pathcredit._games`. See :mod:`pathcredit.models.shapley` for the value
functions and their references.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import ndtri

from ..._games import popcount, sample_shapley_stack, shapley_values, subset_max, subset_sum
from ..._progress import tqdm_class
from ...exceptions import ModelError
from ...journeys import Journeys
from ...results import AttributionResult
from .._coalitions import (
    _assemble,
    _bit_keys,
    _channel_sets,
    _key_rows,
    _key_size,
    _masks,
    _sortable,
    _words,
)
from .games import (
    _TABLE_LIMIT,
    VALUE_FUNCTIONS,
    _ConversionRate,
    _Markov,
    _resolve_game,
    _shapley_from_table,
    _subgame_keys,
)

__all__ = ["shapley", "ordered_shapley", "shapley_values", "VALUE_FUNCTIONS"]

#: Largest game solved exactly by the subset transforms (memory 2**26 floats = 512 MiB).
_EXACT_LIMIT = 26
#: Coalition tables larger than this carry no channel-name column (it costs strings).
_NAMED_ROWS = 1 << 10
#: Above this many distinct coalitions, coalition_values lists the paths' channel sets only.
_COALITION_ROWS = 1 << 21
#: Markov subgames of at least this many channels are built over the subset lattice
#: (first-order dense chains). At O(2^k) for all 2^k worths it beats evaluating the
#: distinct coalitions apart at every size, so every exact subgame uses it.
_LATTICE_MIN = 1


def _coalition_names(rows: np.ndarray, channels) -> list[str]:
    names = np.asarray(channels, dtype=object)
    return [" + ".join(names[r]) if r.any() else "(empty)" for r in rows]


# ---------------------------------------------------------------------- per-journey games
@dataclass
class _Split:
    """Per distinct set, the fraction of a path's conversions each channel gets."""

    frac: np.ndarray  # (sets, n)
    se: np.ndarray | None  # (sets, n) standard errors of frac (sampled sets only)
    method: str
    sampled: np.ndarray  # (sets,) bool: estimated by sampling
    permutations: int
    degenerate: np.ndarray  # (sets,) bool
    coalitions: tuple[np.ndarray, np.ndarray] | None  # (keys, worths) evaluated exactly


def _progress_bar(total: int):
    """A tqdm bar on stderr, shown on terminals only (``disable=None``)."""
    return tqdm_class()(
        total=total, desc="shapley games", unit="path set", file=sys.stderr, disable=None,
        leave=False, bar_format="{l_bar}{bar}| {n:.0f}/{total} path sets [{elapsed}<{remaining}]",
    )  # fmt: skip


def _unique_keys(keys: np.ndarray):
    """Distinct keys (sorted) and the inverse map, by one sort of a one-dimensional view."""
    _, first, inverse = np.unique(_sortable(keys), return_index=True, return_inverse=True)
    return keys[first], inverse.reshape(-1)


def _exact_games(sets, game, n, exact, frac, gain, scale, bar):
    """Every coalition of every exact set, solved in batches by set size.

    Games whose worths cost more than a look-up (a Markov chain, a user's function)
    are evaluated once per distinct coalition. Returns the evaluated coalitions
    (keys, worths) for ``extras["coalition_values"]``: all of them up to
    ``_COALITION_ROWS`` distinct coalitions, above that the channel sets of the
    paths only (the coalitions whose worths split the journeys).
    """
    groups = []
    for k in np.unique(sets.size[exact]):
        idx = np.flatnonzero(exact & (sets.size == k))
        groups.append((idx, sets.codes(idx), int(k)))
    if not groups:
        return None
    total = sum(len(idx) << k for idx, _, k in groups)
    cheap = isinstance(game, _ConversionRate)
    if isinstance(game, _Markov) and game.lattice_ready():
        big = [g for g in groups if g[2] >= _LATTICE_MIN]
        if big:
            keep_tables = total <= _COALITION_ROWS  # then coalition_values lists them all
            state_of = game._state_of()
            direct: list | None = None
            # a chain whose states are not one per channel: the coalitions one by one
            if all(np.all(state_of[codes] >= 0) for _, codes, _ in big):
                direct = []
                for idx, codes, _k in big:
                    table = game.subgame_tables(sets.keys[idx], codes)
                    frac[idx[:, None], codes] = _shapley_from_table(table)
                    gain[idx] = table[:, -1] - table[:, 0]
                    scale[idx] = np.maximum(np.abs(table[:, -1]), np.abs(table[:, 0]))
                    bar.update(len(idx))
                    direct.append(table if keep_tables else table[:, -1:])
            if direct is not None:
                small = [g for g in groups if g[2] < _LATTICE_MIN]
                coal = _exact_games(sets, game, n, exact & (sets.size < _LATTICE_MIN), frac,
                                    gain, scale, bar) if small else None  # fmt: skip
                if coal is None:
                    coal = (np.zeros((0, _words(n)), np.uint64), np.zeros(0))
                if keep_tables:  # then the small sets' table is complete too
                    keys = np.concatenate(
                        [coal[0]] + [_subgame_keys(c, n).reshape(-1, _words(n)) for _, c, _ in big]
                    )
                    worth = np.concatenate([coal[1]] + [t.reshape(-1) for t in direct])
                    first = np.unique(_sortable(keys), return_index=True)[1]
                    return keys[first], worth[first]
                idx = np.flatnonzero(exact)
                keys = np.concatenate([np.zeros((1, _words(n)), np.uint64), sets.keys[idx]])
                v_full = np.zeros(len(sets.size))
                for (i, _c, _k), t in zip(big, direct, strict=True):
                    v_full[i] = t[:, -1]
                for i, _c, _k in small:
                    v_full[i] = gain[i] + 0.0  # v(empty) = 0 for a chain
                worth = np.concatenate([[0.0], v_full[idx]])
                order = np.argsort(_sortable(keys), kind="stable")
                return keys[order], worth[order]
    if cheap and n > _TABLE_LIMIT and total > _COALITION_ROWS:
        coalitions = None
        ends = []
        for idx, codes, k in groups:
            if game.missing == "zero" and k > 12:
                phi, v_full, v_empty = game.sparse_shapley(sets.keys[idx], codes)
            else:
                table = game.subgame_tables(sets.keys[idx], codes)
                phi, v_full, v_empty = shapley_values(table), table[:, -1], table[:, 0]
            frac[idx[:, None], codes] = phi
            gain[idx] = v_full - v_empty
            scale[idx] = np.maximum(np.abs(v_full), np.abs(v_empty))
            ends.append((v_full, v_empty))
            bar.update(len(idx))
        idx = np.concatenate([g[0] for g in groups])
        keys = np.concatenate([np.zeros((1, _words(n)), np.uint64), sets.keys[idx]])
        worth = np.concatenate([ends[0][1][:1]] + [e[0] for e in ends])
        order = np.argsort(_sortable(keys), kind="stable")
        return keys[order], worth[order]
    elif n <= _TABLE_LIMIT:  # a dense bitmap marks the coalitions; a dense table holds worths
        blocks = [_subgame_keys(c, n)[..., 0].astype(np.intp) for _, c, _ in groups]
        seen = np.zeros(1 << n, dtype=bool)
        for block in blocks:
            seen[block] = True
        uniq = np.flatnonzero(seen)
        ukeys = uniq.astype(np.uint64)[:, None]
        worth = np.asarray(game.worth(ukeys), dtype=np.float64)
        dense = np.zeros(1 << n)
        dense[uniq] = worth
        tables = [dense[block] for block in blocks]
        coalitions = (ukeys, worth) if len(ukeys) <= _COALITION_ROWS else None
    else:
        keys = np.concatenate([_subgame_keys(c, n).reshape(-1, _words(n)) for _, c, _ in groups])
        ukeys, inverse = _unique_keys(keys)
        del keys
        worth = np.asarray(game.worth(ukeys), dtype=np.float64)
        tables, start = [], 0
        for idx, _codes, k in groups:
            inv = inverse[start : start + (len(idx) << k)]
            start += len(idx) << k
            table = worth[inv].reshape(len(idx), 1 << k)
            if game.local_max:  # best observed subset: a max over each subgame's own table
                table = subset_max(table)
                worth[inv] = table.reshape(-1)
            tables.append(table)
        coalitions = (ukeys, worth) if len(ukeys) <= _COALITION_ROWS else None
    for (idx, codes, _k), table in zip(groups, tables, strict=True):
        frac[idx[:, None], codes] = shapley_values(table)
        gain[idx] = table[:, -1] - table[:, 0]
        scale[idx] = np.maximum(np.abs(table[:, -1]), np.abs(table[:, 0]))
        bar.update(len(idx))
    if coalitions is None:  # the paths' own channel sets (and the empty coalition)
        idx = np.concatenate([g[0] for g in groups])
        keys = np.concatenate([np.zeros((1, _words(n)), np.uint64), sets.keys[idx]])
        worth = np.concatenate([tables[0][:1, 0]] + [t[:, -1] for t in tables])
        order = np.argsort(_sortable(keys), kind="stable")
        coalitions = (keys[order], worth[order])
    return coalitions


def _sampled_games(sets, game, n, sampled, frac, se, gain, scale, bar, *, tol, mp, seed):
    """Permutation sampling of every sampled set at once, in stacks of equal size."""
    rng = np.random.default_rng(seed)
    if hasattr(game, "prepare_sampling"):
        game.prepare_sampling(sets.keys[sampled])
    within = getattr(game, "worth_within", None)
    owner_of = np.full(len(sets.size), -1, dtype=np.int64)
    owner_of[sampled] = np.arange(len(sampled))
    perms = 0
    words = _words(n)
    by_elimination = (
        isinstance(game, _Markov)
        and game.lattice_ready()
        and bool(np.all(game._state_of()[np.flatnonzero(sets.member[sampled].any(axis=0))] >= 0))
    )
    for k in np.unique(sets.size[sampled]):
        idx = sampled[sets.size[sampled] == k]
        codes = sets.codes(idx)
        bits = _bit_keys(codes, n)  # (m, k, words)
        full = bits.sum(axis=1, dtype=np.uint64)
        ends = np.stack([np.zeros_like(full), full], axis=1).reshape(-1, words)
        if within is None:
            ends_worth = game.worth(ends).reshape(len(idx), 2)
        else:
            ends_worth = within(ends, np.repeat(owner_of[idx], 2)).reshape(len(idx), 2)
        if not np.all(np.isfinite(ends_worth)):
            raise ModelError("the value function returned a non-finite worth")

        def prefix_worth(games, order, bits=bits, idx=idx, codes=codes):
            if by_elimination:
                return game.prefix_worths(codes[games], order).reshape(-1)
            step = np.take_along_axis(bits[games][:, None, :, :], order[..., None], axis=2)
            keys = np.zeros((*order.shape[:2], order.shape[2] + 1, words), dtype=np.uint64)
            np.cumsum(step, axis=2, dtype=np.uint64, out=keys[:, :, 1:])
            flat = keys.reshape(-1, words)
            if within is None:
                return game.worth(flat)
            return within(flat, np.repeat(owner_of[idx[games]], keys.shape[1] * keys.shape[2]))

        phi, phi_se, used = sample_shapley_stack(
            prefix_worth,
            len(idx),
            int(k),
            scale=np.where(
                np.abs(ends_worth[:, 1] - ends_worth[:, 0]) > 0,
                np.abs(ends_worth[:, 1] - ends_worth[:, 0]),
                1.0,
            ),
            tol=tol,
            max_permutations=mp,
            seed=rng,
            progress=bar.update,
        )
        perms += int(used.sum())
        gain[idx] = ends_worth[:, 1] - ends_worth[:, 0]
        scale[idx] = np.maximum(np.abs(ends_worth[:, 0]), np.abs(ends_worth[:, 1]))
        frac[idx[:, None], codes] = phi
        se[idx[:, None], codes] = phi_se
    return perms


def _journey_games(sets, game, n, *, method, max_exact, tol, max_permutations, seed):
    """Shapley split of every distinct channel set in the subgame of ``game`` on it."""
    n_sets = len(sets.size)
    frac = np.zeros((n_sets, n))
    gain = np.zeros(n_sets)
    scale = np.zeros(n_sets)
    exact = np.zeros(n_sets, dtype=bool) if method == "sampling" else sets.size <= max_exact
    if method == "exact":
        if sets.size.max(initial=0) > _EXACT_LIMIT:
            raise ModelError(
                f"a path has {int(sets.size.max())} distinct channels; exact Shapley is "
                f"limited to {_EXACT_LIMIT} (2**{_EXACT_LIMIT} coalitions); use method='sampling'"
            )
        exact[:] = True
    sampled = np.flatnonzero(~exact)
    se = np.zeros((n_sets, n)) if len(sampled) else None
    perms = 0
    with _progress_bar(n_sets) as bar:
        coalitions = _exact_games(sets, game, n, exact, frac, gain, scale, bar)
        if len(sampled):
            perms = _sampled_games(
                sets, game, n, sampled, frac, se, gain, scale, bar,
                tol=tol, mp=max_permutations, seed=seed,
            )  # fmt: skip
    degenerate = np.abs(gain) <= 1e-12 * scale
    ok = ~degenerate
    frac[ok] /= gain[ok, None]
    if se is not None:
        se[ok] /= np.abs(gain[ok, None])
        se[degenerate] = 0.0
    frac[degenerate] = sets.member[degenerate] / sets.size[degenerate, None]
    kind = "exact" if not len(sampled) else ("sampling" if not exact.any() else "exact+sampling")
    return _Split(frac, se, kind, ~exact, perms, degenerate, coalitions)


def _coalition_frame(worth, channels, *, rows=None, mask=None, size=None):
    """The evaluated game as a table: ``[coalition,] [mask,] size, value``, sorted by mask.

    ``coalition`` (names joined by " + ") is given for at most ``_NAMED_ROWS`` rows;
    ``mask`` (bit i = ``channels[i]``) when there are at most 62 channels.
    """

    n = len(channels)
    if mask is None and n <= 62:
        mask = _masks(rows)
    if size is None:
        size = rows.sum(axis=1)
    data = {}
    if len(worth) <= _NAMED_ROWS:
        if rows is None:
            rows = ((mask[:, None] >> np.arange(n)) & 1).astype(bool)
        data["coalition"] = _coalition_names(rows, channels)
    if mask is not None:
        data["mask"] = mask
    data["size"] = size
    data["value"] = worth
    frame = pd.DataFrame(data)
    if mask is not None:
        frame = frame.sort_values("mask", ignore_index=True)
    return frame


# ---------------------------------------------------------------------- zhao (one global game)
def _zhao(journeys, sets, *, method, max_exact):
    """Channel totals of Zhao's game; per-journey shares are the equal dividend split."""
    n = journeys.n_channels
    frac = sets.member / sets.size[:, None]
    use_exact = method == "exact" or (method == "auto" and n <= max_exact)
    if not use_exact:
        return frac, None, None, "closed_form", None
    if n > _EXACT_LIMIT:
        raise ModelError(
            f"{n} channels: exact Shapley over 2**{n} coalitions is limited to {_EXACT_LIMIT} "
            "channels; zhao's closed form (method='auto') is exact at any size"
        )
    masks = _masks(sets.member)
    n_sets = len(sets.size)
    stats = [np.bincount(sets.path_set, journeys.conversions, minlength=n_sets)]
    if journeys.value is not None:
        stats.append(np.bincount(sets.path_set, journeys.value, minlength=n_sets))
    dividends = np.stack([np.bincount(masks, s, minlength=1 << n) for s in stats])
    games = subset_sum(dividends)  # v(S) = sum of R(T) over T within S
    phi = shapley_values(games)
    value = phi[1] if journeys.value is not None else None
    table = _coalition_frame(
        games[0], journeys.channels, mask=np.arange(1 << n, dtype=np.int64), size=popcount(n)
    )
    return frac, phi[0], value, "exact", table


# ---------------------------------------------------------------------- public functions
def _check_common(method, max_exact_channels, tol, max_permutations):
    if method not in ("auto", "exact", "sampling"):
        raise ModelError(f"method must be 'auto', 'exact' or 'sampling', got {method!r}")
    if not (
        isinstance(max_exact_channels, int | np.integer) and 0 <= max_exact_channels <= _EXACT_LIMIT
    ):
        raise ModelError(
            f"max_exact_channels must be an integer in [0, {_EXACT_LIMIT}], "
            f"got {max_exact_channels!r}"
        )
    if not (np.isfinite(tol) and tol > 0):
        raise ModelError(f"tol must be a positive number, got {tol!r}")
    if not (isinstance(max_permutations, int | np.integer) and max_permutations >= 4):
        raise ModelError(f"max_permutations must be an integer >= 4, got {max_permutations!r}")


def _run(
    journeys,
    model,
    value_function,
    *,
    missing,
    baseline,
    order,
    vectorized,
    method,
    max_exact_channels,
    tol,
    max_permutations,
    seed,
    ci_prob,
    json_positions,
):
    _check_common(method, max_exact_channels, tol, max_permutations)
    if not (0 < ci_prob < 1):
        raise ModelError(f"ci_prob must be in (0, 1), got {ci_prob!r}")
    sets = _channel_sets(journeys)
    game = _resolve_game(
        journeys,
        sets,
        value_function,
        missing=missing,
        baseline=baseline,
        order=order,
        vectorized=vectorized,
    )
    vf_name = value_function if isinstance(value_function, str) else game.name
    params = {
        "value_function": vf_name,
        "method": method,
        "max_exact_channels": int(max_exact_channels),
        "tol": tol,
        "max_permutations": int(max_permutations),
        "seed": seed,
    }
    if value_function == "conversion_rate":
        params |= {"missing": missing or "zero", "baseline": baseline}
    if value_function == "markov":
        params["order"] = 1 if order is None else order
    extras: dict = {"value_function": vf_name}
    if game is None:
        if method == "sampling":
            raise ModelError(
                "value_function='zhao' is solved exactly at any size (subset transforms, or "
                "its closed form above max_exact_channels); sampling is not offered"
            )
        frac, conv, value, kind, table = _zhao(
            journeys, sets, method=method, max_exact=max_exact_channels
        )
        extras["method"] = kind
        if table is not None:
            extras["coalition_values"] = table
        return _assemble(
            journeys,
            sets,
            frac,
            model=model,
            params=params,
            extras=extras,
            conversions=conv,
            value=value,
            json_positions=json_positions,
        )
    split = _journey_games(
        sets,
        game,
        journeys.n_channels,
        method=method,
        max_exact=max_exact_channels,
        tol=tol,
        max_permutations=max_permutations,
        seed=seed,
    )
    extras["method"] = split.method
    credited = (journeys.conversions != 0) | (journeys.value_counts() != 0)
    extras["degenerate_paths"] = int((split.degenerate[sets.path_set] & credited).sum())
    if split.coalitions is not None:
        ukeys, worth = split.coalitions
        n = journeys.n_channels
        if n <= 62:
            frame = _coalition_frame(
                worth, journeys.channels, mask=ukeys[:, 0].astype(np.int64), size=_key_size(ukeys)
            )
        else:
            frame = _coalition_frame(worth, journeys.channels, rows=_key_rows(ukeys, n))
        extras["coalition_values"] = frame
    ci = None
    if split.se is not None:
        # sets are sampled independently: variances add over paths
        conv_set = np.bincount(sets.path_set, journeys.conversions, minlength=len(sets.size))
        se_conv = np.sqrt(((conv_set[:, None] * split.se) ** 2).sum(axis=0))
        extras["sampled_paths"] = int(split.sampled[sets.path_set].sum())
        extras["permutations"] = split.permutations
        extras["standard_errors"] = dict(zip(journeys.channels, se_conv.tolist(), strict=True))
        z = float(ndtri(0.5 + ci_prob / 2))  # the normal quantile, as scipy.stats.norm.ppf
        ses = {"conversions": se_conv}
        if journeys.value is not None:
            val_set = np.bincount(sets.path_set, journeys.value, minlength=len(sets.size))
            ses["value"] = np.sqrt(((val_set[:, None] * split.se) ** 2).sum(axis=0))
        ci = ses, z
    result = _assemble(
        journeys,
        sets,
        split.frac,
        model=model,
        params=params,
        extras=extras,
        json_positions=json_positions,
    )
    if ci is not None:
        ses, z = ci
        metrics = {"conversions": result.conversions, "value": result.value}
        result = result.replace(
            lower={m: metrics[m] - z * s for m, s in ses.items()},
            upper={m: metrics[m] + z * s for m, s in ses.items()},
            ci_prob=ci_prob,
        )
    return result


def shapley(
    journeys: Journeys,
    value_function: str | Callable = "zhao",
    *,
    missing: str | None = None,
    baseline: float | None = None,
    order: int | None = None,
    vectorized: bool = False,
    method: str = "auto",
    max_exact_channels: int = 20,
    tol: float = 1e-3,
    max_permutations: int = 20_000,
    seed: int | None = 0,
    ci_prob: float = 0.95,
) -> AttributionResult:
    """Shapley-value attribution with an explicit coalition value function.

    See the module notes for the value functions, their sources, and how a
    response model's Shapley values (rates) become credited conversions.

    Parameters
    ----------
    journeys : Journeys
    value_function : {"zhao", "conversion_rate", "markov"}, callable or classifier
        ``"zhao"`` (default): conversions of the journeys whose channels lie
        within S. ``"conversion_rate"``: conversion rate of the journeys whose
        channel set is exactly S (needs nulls). ``"markov"``: conversion
        probability of the fitted chain with the channels outside S removed. A
        callable ``f(frozenset) -> float`` or a classifier with ``predict_proba``.
    missing : {"zero", "best_subset"}, optional
        ``conversion_rate`` only: worth of a coalition no journey has; default
        ``"zero"``.
    baseline : float, optional
        ``conversion_rate`` only: ``v(empty)``, the conversion rate without
        exposure (from a holdout); default 0.
    order : int, optional
        ``markov`` only: the chain's order; default 1.
    vectorized : bool, default False
        The callable takes a boolean matrix (rows are coalitions, columns
        ``journeys.channels``) and returns one worth per row.
    method : {"auto", "exact", "sampling"}, default "auto"
        ``"auto"``: exact for games of at most ``max_exact_channels`` players,
        permutation sampling above (``zhao`` uses its exact closed form above).
    max_exact_channels : int, default 20
        Largest game solved exactly under ``"auto"``: the number of channels for
        ``zhao``, the distinct channels of a path for the other value functions.
    tol : float, default 1e-3
        Sampling stops when every standard error is at most ``tol`` times the
        game's total ``|v(T) - v(empty)|``.
    max_permutations : int, default 20000
        Cap on sampled orders per game.
    seed : int, optional
        Seed of the sampler (results are deterministic for a seed).
    ci_prob : float, default 0.95
        Probability of the normal interval ``lower``/``upper`` given when sampling.

    Returns
    -------
    AttributionResult
        ``extras``: ``value_function`` and ``method`` (``"exact"``,
        ``"closed_form"``, ``"sampling"`` or ``"exact+sampling"``); with sampling,
        ``standard_errors`` per channel, ``permutations`` and ``sampled_paths``;
        for response models ``degenerate_paths``; DataFrames ``coalition_values``
        (the game table evaluated exactly; when more than 2**21 coalitions were
        evaluated, only the empty coalition and the paths' own channel sets),
        ``journey_credit`` (per distinct path
        and channel), ``position_credit`` (channel x touch position, 1 = first) and
        ``touchpoint_totals`` (per position).

    Raises
    ------
    ModelError
        Unknown value function, an argument given to a value function it does not
        apply to, conversion rates without nulls, a game too large for
        ``method="exact"``, a value function returning non-finite worths.

    Notes
    -----
    Exact games cost O(k 2^k) each for k channels (k = all channels for ``zhao``,
    the distinct channels of a path otherwise; games of the same size are solved
    in one batched call and each distinct coalition is evaluated once). Sampling
    costs ``2 (k + 1)`` evaluations per antithetic pair of orders; all sampled
    paths are sampled together, so the cost is linear in the number of paths.
    A progress bar (tqdm, stderr) is shown when stderr is a terminal.

    Sampled results are deterministic for a seed. Since the sampled paths now
    draw their orders together (round by round) rather than path after path,
    a seed gives different draws than in pathcredit versions before this change.

    References
    ----------
    .. [1] Zhao, K., Mahboobi, S. H. and Bagheri, S. R. (2018). arXiv:1804.05327.
    .. [2] Dalessandro, B., Perlich, C., Stitelman, O. and Provost, F. (2012).
       Causally motivated attribution for online advertising. ADKDD '12.

    Examples
    --------
    >>> from pathcredit import Journeys
    >>> j = Journeys.from_paths([["A", "B"], ["B"], ["A"]], conversions=[2, 1, 1],
    ...                         nulls=[2, 3, 1])
    >>> shapley(j).conversions.tolist()
    [2.0, 2.0]

    With conversion rates, path A > B (rate 0.5) is split by the Shapley values
    of its subgame: v(A) = 0.5, v(B) = 0.25, v(AB) = 0.5, so A's value is
    (0.5 + 0.25) / 2 = 0.375 of the lift 0.5 (75% of the path's 2 conversions)
    and B's 0.125 (25%):

    >>> r = shapley(j, "conversion_rate")
    >>> r.conversions.round(6).tolist(), r.extras["method"]
    ([2.5, 1.5], 'exact')
    """
    return _run(
        journeys,
        "shapley",
        value_function,
        missing=missing,
        baseline=baseline,
        order=order,
        vectorized=vectorized,
        method=method,
        max_exact_channels=max_exact_channels,
        tol=tol,
        max_permutations=max_permutations,
        seed=seed,
        ci_prob=ci_prob,
        json_positions=False,
    )


def ordered_shapley(
    journeys: Journeys,
    value_function: str | Callable = "zhao",
    *,
    missing: str | None = None,
    baseline: float | None = None,
    order: int | None = None,
    vectorized: bool = False,
    method: str = "auto",
    max_exact_channels: int = 20,
    tol: float = 1e-3,
    max_permutations: int = 20_000,
    seed: int | None = 0,
    ci_prob: float = 0.95,
) -> AttributionResult:
    """Ordered Shapley (Zhao et al. 2018): credit per channel and touchpoint position.

    A channel's Shapley credit on a path is shared evenly over its touches, so
    the channel totals equal :func:`shapley`'s and each touch position gets a
    part. ``extras["position_credit"]`` is the channel x position table (position
    1 is the first touch) and ``extras["touchpoint_conversions"]`` the conversions
    credited to each position (also in JSON). Parameters as :func:`shapley`.

    Returns
    -------
    AttributionResult

    Raises
    ------
    ModelError
        As :func:`shapley`.

    Notes
    -----
    Same cost as :func:`shapley` plus O(total touches) for the position tables.

    References
    ----------
    .. [1] Zhao, K., Mahboobi, S. H. and Bagheri, S. R. (2018). Shapley value methods
       for attribution modeling in online advertising. arXiv:1804.05327, section 3.3.

    Examples
    --------
    >>> from pathcredit import Journeys
    >>> j = Journeys.from_paths([["A", "B", "A"]], conversions=[4])
    >>> r = ordered_shapley(j)
    >>> r.conversions.tolist(), r.extras["touchpoint_conversions"]
    ([2.0, 2.0], [1.0, 2.0, 1.0])
    """
    return _run(
        journeys,
        "ordered_shapley",
        value_function,
        missing=missing,
        baseline=baseline,
        order=order,
        vectorized=vectorized,
        method=method,
        max_exact_channels=max_exact_channels,
        tol=tol,
        max_permutations=max_permutations,
        seed=seed,
        ci_prob=ci_prob,
        json_positions=True,
    )
