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


if __name__ == "__main__":
    import time

    t = time.perf_counter()
    df = make_paths()
    print(len(df), df[["total_conversions", "total_null"]].sum().to_dict(), time.perf_counter() - t)
