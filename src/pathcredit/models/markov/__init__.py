"""Exact Markov-chain attribution: the chain, the model and its order selection.

- :mod:`~pathcredit.models.markov.chain`: :func:`fit_chain` and
  :class:`MarkovChain` (the order-``k`` chain of the journeys, its tables and
  exact solves through :mod:`pathcredit._absorbing`);
- :mod:`~pathcredit.models.markov.model`: :func:`markov`, credit by removal effects;
- :mod:`~pathcredit.models.markov.selection`: :func:`select_order`, the order by
  cross-validated held-out likelihood.

The Bayesian form of the model, :func:`pathcredit.models.bayesian.bayesian_markov`,
stays with the other posterior-sampling model in :mod:`pathcredit.models.bayesian`:
the two share their draws layout, posterior summaries and sampling conventions,
and it reads this package's chain only through :func:`fit_chain`.
"""

from .chain import CONVERSION, MAX_ORDER, NULL, START, MarkovChain, fit_chain
from .model import markov
from .selection import OrderSelection, last_state_codes, select_order

__all__ = ["MarkovChain", "fit_chain", "markov"]
# also importable from here, as when this package was one module: the state names,
# MAX_ORDER and the order selection
_REEXPORTED = (CONVERSION, MAX_ORDER, NULL, START, OrderSelection, last_state_codes, select_order)
