"""Data-generating processes with known structure, for tests, notebooks and benchmarks."""

from .events import simulate_events

__all__ = ["simulate_events"]
