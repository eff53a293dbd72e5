"""Markdown tables of the committed results (calibration_*.json, speed.json) for the README.

Usage::

    python benchmarks/bayesian/summarise.py
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent


def calibration() -> None:
    print("| world | journeys | concentration | order | channel-replicates | mean conversions "
          "| Bayes HDI coverage | Bayes ETI coverage | bootstrap coverage | Bayes width "
          "| bootstrap width | Bayes MAE | bootstrap MAE |")  # fmt: skip
    print("|---" * 13 + "|")
    for f in sorted(HERE.glob("calibration_*.json")):
        data = json.loads(f.read_text())
        meta = data["meta"]
        for name, res in data["results"].items():
            s = res["summary"]
            print(
                f"| {meta['world']} | {meta['journeys_per_replicate']:,} "
                f"| {meta.get('concentration', 'auto')} | {name.split()[-1]} "
                f"| {s['channel_replicates']} | {s['mean_conversions']:.0f} "
                f"| {s['bayes_hdi_coverage']:.3f} | {s['bayes_eti_coverage']:.3f} "
                f"| {s['bootstrap_coverage']:.3f} | {s['bayes_mean_width']:.4f} "
                f"| {s['bootstrap_mean_width']:.4f} | {s['bayes_mean_abs_error']:.4f} "
                f"| {s['boot_mean_abs_error']:.4f} |"
            )


def speed() -> None:
    files = sorted(HERE.glob("speed*.json"))
    if not files:
        return
    print()
    print("| case | order | draws / resamples | states | median s | runs s | peak MiB | load "
          "after |")  # fmt: skip
    print("|---" * 8 + "|")
    for r in (r for f in files for r in json.loads(f.read_text())["results"]):
        runs = ", ".join(f"{t:.2f}" for t in r["times_s"])
        print(
            f"| {r['case']} | {r['order']} | {r['draws']} | {r['n_states']} "
            f"| {r['median_s']:.2f} | {runs} | {r['peak_mib']:.0f} "
            f"| {' '.join(r['loadavg_after'])} |"
        )


if __name__ == "__main__":
    calibration()
    speed()
