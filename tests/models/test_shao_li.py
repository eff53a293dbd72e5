"""Shao and Li's simple probabilistic model: the formula by loops, a hand-worked example."""

import numpy as np
import pytest

from pathcredit import Journeys, ModelError
from pathcredit.models.shao_li import shao_li


def random_journeys(rng, n_channels, n_paths):
    names = [f"c{i}" for i in range(n_channels)]
    paths = [list(rng.choice(names, size=rng.integers(1, 6))) for _ in range(n_paths)]
    conv = rng.integers(0, 5, n_paths).astype(float)
    conv[0] = max(conv[0], 1.0)
    nulls = rng.integers(0, 8, n_paths).astype(float)
    return Journeys.from_paths(paths, conversions=conv, nulls=nulls)


def loop_credit(j):
    """The paper's formula by Python loops over paths and channel pairs (the oracle)."""
    paths = [set(p) for p in j.paths()]

    def rate(*chs):
        c = sum(x for p, x in zip(paths, j.conversions, strict=True) if set(chs) <= p)
        t = c + sum(x for p, x in zip(paths, j.nulls, strict=True) if set(chs) <= p)
        return c / t

    credit = dict.fromkeys(j.channels, 0.0)
    raw = dict.fromkeys(j.channels, 0.0)
    for p, conv in zip(paths, j.conversions, strict=True):
        if conv == 0:
            continue
        n_other = len(p) - 1
        c = {}
        for i in p:
            c[i] = rate(i)
            if n_other:
                c[i] += sum(rate(i, k) - rate(i) - rate(k) for k in p if k != i) / (2 * n_other)
        for i in p:
            credit[i] += conv * c[i] / sum(c.values())
            raw[i] += conv * c[i]
    return credit, raw


def test_shao_li_matches_the_formula_computed_by_loops():
    j = random_journeys(np.random.default_rng(16), n_channels=5, n_paths=30)
    credit, raw = loop_credit(j)
    r = shao_li(j)
    np.testing.assert_allclose(r.conversions, [credit[c] for c in j.channels], rtol=1e-10)
    assert r.extras["contribution"] == pytest.approx(raw, rel=1e-10)
    assert r.additive


def test_two_channels_by_hand():
    # A alone: 1 conversion in 4 journeys; B alone: 1 in 2; A and B: 3 in 4.
    # conversion rate of the journeys containing A: (1 + 3) / (4 + 4) = 1/2; of B: 4 / 6 = 2/3;
    # P(A, B) = 3/4. Each channel on the two-channel path: P(i) + (P(A,B) - P(A) - P(B)) / 2,
    # A: 1/2 - 5/24 = 7/24, B: 2/3 - 5/24 = 11/24: the path's 3 conversions split 7:11.
    j = Journeys.from_paths([["A"], ["B"], ["A", "B"]], conversions=[1, 1, 3], nulls=[3, 1, 1])
    r = shao_li(j)
    expected = {"A": 1 + 3 * 7 / 18, "B": 1 + 3 * 11 / 18}
    np.testing.assert_allclose(r.conversions, [expected[c] for c in j.channels], rtol=1e-12)


def test_needs_non_converting_journeys():
    j = Journeys.from_paths([["A", "B"], ["B"]], conversions=[1, 1])
    with pytest.raises(ModelError, match="total_null"):
        shao_li(j)


def test_ten_thousand_channels_in_blocks_equal_the_small_case():
    """The audit: 10,000 channels ran past 90 s (two dense channels x channels tables).
    2,500 relabelled copies of one small 4-channel data set share no path, so every
    block's credit is the small case's credit by the loop formula; the model only ever
    touches the pairs that co-occur on a path."""
    rng = np.random.default_rng(3)
    small = random_journeys(rng, n_channels=4, n_paths=25)
    credit, raw = loop_credit(small)
    blocks = 2_500
    k = small.n_channels
    touches = (small.touches[None, :] + k * np.arange(blocks)[:, None]).ravel()
    lengths = np.tile(small.lengths, blocks)
    names = [f"b{b:04d}_{c}" for b in range(blocks) for c in small.channels]  # sorted codes
    big = Journeys(
        names,
        touches,
        np.r_[0, np.cumsum(lengths)],
        np.tile(small.conversions, blocks),
        nulls=np.tile(small.nulls, blocks),
    )
    assert big.n_channels == 10_000
    r = shao_li(big)
    got = r.conversions.reshape(blocks, k)
    np.testing.assert_allclose(got, np.tile([credit[c] for c in small.channels], (blocks, 1)),
                               rtol=1e-10)  # fmt: skip
    assert r.extras["rates"]["b2499_" + small.channels[0]] == pytest.approx(
        r.extras["rates"]["b0000_" + small.channels[0]]
    )
    assert len(r.extras["pair_rates"]) == blocks * len(shao_li(small).extras["pair_rates"])


def test_pairs_enumerated_in_chunks_give_the_same_answer(monkeypatch):
    """Long paths are enumerated in chunks of pairs to bound memory; a chunk of a few
    paths each (many chunks) changes nothing."""
    import pandas as pd

    import pathcredit.models.shao_li as mod

    j = random_journeys(np.random.default_rng(8), n_channels=7, n_paths=60)
    whole = shao_li(j)
    monkeypatch.setattr(mod, "_CHUNK", 4)
    assert len(list(mod._chunks(np.bincount(mod._path_pairs(j).pair_path)))) > 10
    parts = shao_li(j)
    np.testing.assert_allclose(parts.conversions, whole.conversions, rtol=1e-12)
    pd.testing.assert_frame_equal(parts.extras["pair_rates"], whole.extras["pair_rates"])
    credit, _ = loop_credit(j)
    np.testing.assert_allclose(parts.conversions, [credit[c] for c in j.channels], rtol=1e-10)
