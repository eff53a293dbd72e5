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
    response = []
    for f in sorted(HERE.glob("calibration_*.json")):
        data = json.loads(f.read_text())
        if "results" not in data:  # bayesian_response's files: one summary per world
            response.append(data)
            continue
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
    if response:
        print()
        print("| bayesian_response world | journeys | replicates | HDI coverage | width | MAE "
              "| bootstrap coverage | fits that warned | baseline ratio |")  # fmt: skip
        print("|---" * 9 + "|")
        for data in response:
            n = data["meta"].get("journeys", data["meta"].get("journeys_per_replicate", ""))
            for w in data["summary"]:
                print(
                    f"| {w['world']} | {n:,} | {w['replicates']} | {w['coverage']:.3f} "
                    f"| {w['mean_width']:.4f} | {w['mean_abs_error']:.4f} "
                    f"| {w.get('bootstrap_coverage', float('nan')):.3f} "
                    f"| {w['replicates_with_sampler_warnings']} | {w['baseline_ratio']:.2f} |"
                )


def speed() -> None:
    files = sorted(HERE.glob("speed*.json"))
    if not files:
        return
    print()
    print("| case | order | draws / resamples | states | median s | runs s | peak MiB | load "
          "after |")  # fmt: skip
    print("|---" * 8 + "|")
    rows = [json.loads(f.read_text()) for f in files]
    response = [r for data in rows for r in data["results"] if "times_s" not in r]
    for r in (r for data in rows for r in data["results"] if "times_s" in r):
        runs = ", ".join(f"{t:.2f}" for t in r["times_s"])
        print(
            f"| {r['case']} | {r['order']} | {r['draws']} | {r['n_states']} "
            f"| {r['median_s']:.2f} | {runs} | {r['peak_mib']:.0f} "
            f"| {' '.join(r['loadavg_after'])} |"
        )
    for r in response:  # bayesian_response: one fit and attribution, its own columns
        print(
            f"| bayesian_response ({r['sampler']}, {r['chains']} chains, tune {r['tune']}) | - "
            f"| {r['draws']} per chain | {r['patterns']:,} patterns | {r['total_s']:.1f} "
            f"| sampling incl. compile {r['sampling_s_incl_compile']:.1f}, credit "
            f"{r['attribution_and_rest_s']:.1f} | {r['peak_mib']:.0f} "
            f"| {' '.join(r['loadavg_after'])} |"
        )


if __name__ == "__main__":
    calibration()
    speed()
