"""The true credit of a simulated world, with its definitions written beside the numbers.

Two definitions are reported for every scenario (Kelly, Vaver and Koehler 2018;
Shender et al. 2023):

* **incremental**: for each journey, the game ``v(S) = P(convert | only the
  exposures to the channels in S) - P(convert | no exposure)``; its Shapley
  value (Shapley 1953) splits the journey's incremental conversion probability
  over its channels. Summed over journeys, it gives each channel's expected
  incremental conversions. Conversions the journey would have made anyway (the
  baseline) are nobody's credit, so the shares are of incremental conversions,
  not of all conversions.
* **removal**: the conversions lost when the channel is withheld from everyone,
  ``sum_i P_i(convert) - P_i(convert | the channel's exposures withheld)``. It
  is what a holdout experiment of that channel measures. Removal credits
  do not add up to the incremental total when channels interact (synergy:
  counted twice; substitutes, as in noisy-or: counted less), which is the
  lesson of the scenarios where the two differ.

Shares of each definition sum to one over the channels (when the total is positive).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import ModelError

__all__ = ["Truth", "DEFINITIONS"]

DEFINITIONS = {
    "incremental": (
        "sum over journeys of the Shapley value of v(S) = P(convert | only the exposures to "
        "channels in S) - P(convert | no exposure); value likewise with the journey's value"
    ),
    "removal": (
        "expected conversions lost when the channel's exposures are withheld from every "
        "journey: sum_i P_i(convert) - P_i(convert | channel withheld)"
    ),
}


def _shares(x: np.ndarray) -> np.ndarray:
    total = x.sum()
    return x / total if total > 0 else np.full(len(x), np.nan)


@dataclass(frozen=True)
class Truth:
    """True credit per channel under both definitions.

    Attributes
    ----------
    channels : tuple of str
    incremental, incremental_value : ndarray
        Expected incremental conversions (value) per channel.
    removal, removal_value : ndarray
        Expected conversions (value) lost when the channel is withheld.
    expected_conversions : float
        Expected conversions of the simulated journeys (all exposures).
    baseline_conversions : float
        Expected conversions without any exposure (no channel's credit).
    journeys : float
        Number of journeys (expected count in population mode).
    """

    channels: tuple[str, ...]
    incremental: np.ndarray
    incremental_value: np.ndarray
    removal: np.ndarray
    removal_value: np.ndarray
    expected_conversions: float
    baseline_conversions: float
    journeys: float
    expected_value: float = float("nan")
    extras: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        # rounding noise of exact zeros (channels with no effect) is set to 0
        for name in ("incremental", "incremental_value", "removal", "removal_value"):
            x = np.asarray(getattr(self, name), dtype=np.float64).copy()
            scale = np.abs(x).max(initial=0.0)
            x[np.abs(x) <= 1e-12 * scale] = 0.0
            object.__setattr__(self, name, x)

    @property
    def incremental_share(self) -> np.ndarray:
        """Share of all incremental conversions."""
        return _shares(self.incremental)

    @property
    def removal_share(self) -> np.ndarray:
        """Removal credit normalised to sum to one (what removal-effect models estimate)."""
        return _shares(self.removal)

    def share(self, kind: str = "incremental") -> np.ndarray:
        """``incremental_share`` or ``removal_share``."""
        if kind == "incremental":
            return self.incremental_share
        if kind == "removal":
            return self.removal_share
        raise ModelError(f"kind must be 'incremental' or 'removal', got {kind!r}")

    @property
    def table(self) -> pd.DataFrame:
        """One row per channel and definition: ``channel, truth, conversions, value, share``.

        A property, as :attr:`pathcredit.AttributionResult.table` is: the same word
        means the same kind of thing on both (a table derived from the fields, built
        on each read). It was a method before; ``truth.table()`` cannot keep
        working beside the property without making the DataFrame itself callable
        (a subclass that every user's frames and pandas' type checks would see),
        so old calls fail with ``'DataFrame' object is not callable`` and the fix is
        to drop the parentheses.
        """
        rows = []
        for kind, conv, val in (
            ("incremental", self.incremental, self.incremental_value),
            ("removal", self.removal, self.removal_value),
        ):
            share = _shares(conv)
            for i, c in enumerate(self.channels):
                rows.append((c, kind, float(conv[i]), float(val[i]), float(share[i])))
        return pd.DataFrame(rows, columns=["channel", "truth", "conversions", "value", "share"])

    @classmethod
    def from_dict(cls, data: dict[str, Any], channels=None) -> Truth:
        """The inverse of :meth:`to_dict` (the ``truth`` block of ``truth.json``).

        ``channels`` fixes the order (default: the order of the ``incremental`` block).

        Examples
        --------
        >>> t = Truth(("a", "b"), [1.0, 3.0], [10.0, 30.0], [2.0, 3.0], [20.0, 30.0], 5.0, 1.0, 100)
        >>> Truth.from_dict(t.to_dict()).table.equals(t.table)
        True
        """
        try:
            inc, rem, totals = data["incremental"], data["removal"], data["totals"]
            names = tuple(channels) if channels is not None else tuple(inc)

            def column(block, key):
                return np.array([float(block[c][key]) for c in names])

            return cls(
                names,
                column(inc, "conversions"),
                column(inc, "value"),
                column(rem, "conversions"),
                column(rem, "value"),
                float(totals["expected_conversions"]),
                float(totals["baseline_conversions"]),
                float(totals["journeys"]),
                float(totals.get("expected_value", float("nan"))),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"not a truth block as Truth.to_dict writes it: {exc!r}") from None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"incremental": {channel: {"conversions", "value", "share"}}, ...}``."""

        def block(conv, val):
            share = _shares(conv)
            return {
                c: {
                    "conversions": float(conv[i]),
                    "value": float(val[i]),
                    "share": None if np.isnan(share[i]) else float(share[i]),
                }
                for i, c in enumerate(self.channels)
            }

        return {
            "incremental": block(self.incremental, self.incremental_value),
            "removal": block(self.removal, self.removal_value),
            "totals": {
                "journeys": float(self.journeys),
                "expected_conversions": float(self.expected_conversions),
                "baseline_conversions": float(self.baseline_conversions),
                "incremental_conversions": float(self.incremental.sum()),
                "expected_value": float(self.expected_value),
            },
            "definitions": dict(DEFINITIONS),
        }
