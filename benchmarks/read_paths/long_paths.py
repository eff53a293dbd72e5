"""A second, independent path-file generator: longer paths over more channels with real names.

``benchmarks/markov/synthetic.py`` draws geometric path lengths (mean about 3, at most 25)
over 12 channels ``ch00``...``ch11`` with a "stay on the channel" rule. This one shares
no code or convention with it: 20 channels with the names and lengths of a real channel
grouping ("Paid Search", "Organic Social", ... up to 14 bytes, with spaces), a first-order
chain whose start and transition probabilities are Dirichlet draws, path lengths one
plus a negative binomial (mean 4, long tail, at most 60), conversion from a logistic
score of the distinct channels, and value from a log-normal. The journeys are aggregated
to distinct paths in ChannelAttribution's columns.

    .venv/bin/python benchmarks/read_paths/long_paths.py [OUT.csv] [--journeys N] [--seed S]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CHANNELS = (
    "Paid Search",
    "Organic Search",
    "Direct",
    "Email",
    "Display",
    "Paid Social",
    "Organic Social",
    "Affiliates",
    "Referral",
    "Video",
    "Audio",
    "SMS",
    "Push",
    "Shopping",
    "Cross-network",
    "Retargeting",
    "Partners",
    "Print QR",
    "TV",
    "Podcasts",
)


def make_long_paths(n_journeys: int = 1_000_000, seed: int = 1) -> pd.DataFrame:
    """Aggregated paths: ``path`` (``"a > b"``), total_conversions, total_conversion_value,
    total_null; one row per distinct path."""
    rng = np.random.Generator(np.random.PCG64DXSM(seed))
    k = len(CHANNELS)
    start = rng.dirichlet(np.ones(k))
    trans = rng.dirichlet(np.full(k, 0.4), size=k)
    cum_start = np.cumsum(start)
    cum_trans = np.cumsum(trans, axis=1)
    # one plus a negative binomial with mean 3 (n=1.5): mean 4, a long tail
    lengths = np.minimum(1 + rng.negative_binomial(1.5, 1.5 / 4.5, size=n_journeys), 60)
    longest = int(lengths.max())
    steps = np.full((n_journeys, longest), -1, dtype=np.int16)
    state = np.minimum(np.searchsorted(cum_start, rng.random(n_journeys)), k - 1)
    steps[:, 0] = state
    alive = np.arange(n_journeys)
    for pos in range(1, longest):
        alive = alive[lengths[alive] > pos]
        if len(alive) == 0:
            break
        u = rng.random(len(alive))
        nxt = (u[:, None] > cum_trans[state[alive]]).sum(axis=1)
        state[alive] = np.minimum(nxt, k - 1)
        steps[alive, pos] = state[alive]
    weight = rng.normal(-0.2, 0.6, size=k)
    seen = np.zeros((n_journeys, k), dtype=bool)
    rows = np.repeat(np.arange(n_journeys), lengths)
    seen[rows, steps[steps >= 0]] = True
    score = seen @ weight - 0.15 * lengths
    converted = rng.random(n_journeys) < 1 / (1 + np.exp(-(score - 1.0)))
    value = np.where(converted, rng.lognormal(3.5, 0.8, size=n_journeys), 0.0)
    names = np.array(CHANNELS, dtype=object)
    paths = [" > ".join(names[r[r >= 0]]) for r in steps]
    frame = pd.DataFrame(
        {"path": paths, "c": converted.astype(float), "v": value, "n": (~converted).astype(float)}
    )
    agg = frame.groupby("path", sort=False).sum()
    return pd.DataFrame(
        {
            "path": agg.index.to_numpy(),
            "total_conversions": agg["c"].to_numpy(),
            "total_conversion_value": agg["v"].to_numpy(),
            "total_null": agg["n"].to_numpy(),
        }
    )


if __name__ == "__main__":
    import argparse
    import time

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", nargs="?", help="write the CSV (and .parquet beside it) here")
    ap.add_argument("--journeys", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    t = time.perf_counter()
    df = make_long_paths(a.journeys, a.seed)
    touches = df["path"].str.count(" > ").sum() + len(df)
    journeys = df[["total_conversions", "total_null"]].sum().sum()
    print(f"{len(df)} paths, {touches} touches, {journeys:.0f} journeys", time.perf_counter() - t)
    if a.out:
        df.to_csv(a.out, index=False)
