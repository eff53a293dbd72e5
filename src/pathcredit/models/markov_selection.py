"""Markov order selection; it lives in :mod:`pathcredit.models.markov.selection`.

This module keeps the old import path working (a re-export, no warning: the
names did not change, only their home).
"""

from .markov.selection import OrderSelection, last_state_codes, select_order

__all__ = ["OrderSelection", "select_order", "last_state_codes"]
