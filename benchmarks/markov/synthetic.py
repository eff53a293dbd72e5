"""Seeded synthetic aggregated paths for the Markov benchmark (ChannelAttribution's format).

Journeys follow a first-order process over channels with skewed popularity and
stickiness; each journey converts with a probability that depends on its
channels. The journeys are aggregated to distinct paths with
``total_conversions``, ``total_conversion_value`` and ``total_null``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def make_paths(n_journeys: int = 1_000_000, n_channels: int = 12, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    names = np.array([f"ch{i:02d}" for i in range(n_channels)], dtype=object)
    popularity = 1.0 / np.arange(1, n_channels + 1) ** 0.8
    popularity /= popularity.sum()
    lengths = np.minimum(rng.geometric(0.325, size=n_journeys), 25)
    total = int(lengths.sum())
    fresh = rng.choice(n_channels, size=total, p=popularity)
    pos = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    stay = (rng.random(total) < 0.3) & (pos > 0)
    # a touch that "stays" copies the previous touch: forward-fill from the last fresh touch
    idx = np.where(stay, 0, np.arange(total))
    np.maximum.accumulate(idx, out=idx)
    touches = fresh[idx]
    effect = rng.normal(-0.4, 0.5, size=n_channels)
    journey = np.repeat(np.arange(n_journeys), lengths)
    score = np.bincount(journey, weights=effect[touches], minlength=n_journeys) / np.sqrt(lengths)
    p = 1.0 / (1.0 + np.exp(-(score - 1.6)))
    converted = rng.random(n_journeys) < p
    value = np.where(converted, rng.gamma(2.0, 20.0, size=n_journeys), 0.0)
    labels = names[touches]
    starts = np.cumsum(lengths) - lengths
    # path strings, joined per journey
    paths = np.array([" > ".join(labels[a : a + n]) for a, n in zip(starts, lengths, strict=True)])
    frame = pd.DataFrame(
        {"path": paths, "conv": converted.astype(float), "value": value, "null": (~converted) * 1.0}
    )
    agg = frame.groupby("path", sort=False).sum()
    return pd.DataFrame(
        {
            "path": agg.index.to_numpy(),
            "total_conversions": agg["conv"].to_numpy(),
            "total_conversion_value": agg["value"].to_numpy(),
            "total_null": agg["null"].to_numpy(),
        }
    )


def make_paths_long(
    n_journeys: int = 1_000_000, n_channels: int = 16, seed: int = 7
) -> pd.DataFrame:
    """A second, differently built generator: longer paths over more channels.

    Journeys walk a first-order chain whose rows are drawn from a Dirichlet (each
    channel has a few likely successors), leave after each touch with probability
    0.17 (mean length about 5.4, at most 40; geometric lengths, not the sticky
    copies of :func:`make_paths`), and convert at the end with a logistic
    probability of their last three channels and their length. Channel names are
    longer (``channel_a`` ...) and the value is log-normal. Aggregated as
    :func:`make_paths`.
    """
    rng = np.random.default_rng(seed)
    names = np.array([f"channel_{chr(97 + i % 26)}{i // 26 or ''}" for i in range(n_channels)])
    first = rng.dirichlet(np.full(n_channels, 0.7))
    trans = rng.dirichlet(np.full(n_channels, 0.35), size=n_channels)
    cum = np.cumsum(trans, axis=1)
    max_len = 40
    lengths = np.minimum(rng.geometric(0.17, size=n_journeys), max_len)
    touches = np.zeros((n_journeys, max_len), dtype=np.int64)
    touches[:, 0] = rng.choice(n_channels, size=n_journeys, p=first)
    for t in range(1, max_len):
        alive = np.flatnonzero(lengths > t)
        if not len(alive):
            break
        u = rng.random(len(alive))
        row = cum[touches[alive, t - 1]]
        touches[alive, t] = np.minimum((row < u[:, None]).sum(axis=1), n_channels - 1)
    effect = rng.normal(-0.3, 0.6, size=n_channels)
    idx = np.arange(n_journeys)
    score = sum(effect[touches[idx, np.maximum(lengths - 1 - k, 0)]] for k in range(3))
    p = 1.0 / (1.0 + np.exp(-(score / 3 + 0.08 * np.minimum(lengths, 10) - 3.2)))
    converted = rng.random(n_journeys) < p
    value = np.where(converted, rng.lognormal(3.5, 0.8, size=n_journeys), 0.0)
    labels = names[touches]
    paths = np.array([" > ".join(labels[i, :n]) for i, n in enumerate(lengths)])
    frame = pd.DataFrame(
        {"path": paths, "conv": converted.astype(float), "value": value, "null": (~converted) * 1.0}
    )
    agg = frame.groupby("path", sort=False).sum()
    return pd.DataFrame(
        {
            "path": agg.index.to_numpy(),
            "total_conversions": agg["conv"].to_numpy(),
            "total_conversion_value": agg["value"].to_numpy(),
            "total_null": agg["null"].to_numpy(),
        }
    )


#: The generators of the end-to-end benchmark, by name: ``(function, keyword arguments)``.
GENERATORS = {
    "sticky12": (make_paths, {"n_channels": 12, "seed": 0}),
    "long16": (make_paths_long, {"n_channels": 16, "seed": 7}),
}


if __name__ == "__main__":
    import time

    t = time.perf_counter()
    df = make_paths()
    print(len(df), df[["total_conversions", "total_null"]].sum().to_dict(), time.perf_counter() - t)
