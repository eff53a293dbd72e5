"""Bayesian attribution models: posteriors over the credit, sampled without MCMC where conjugate.

:func:`bayesian_markov` (registered as ``"bayesian_markov"``) lives in
:mod:`pathcredit.models.bayesian.markov`.
"""

from .markov import bayesian_markov

__all__ = ["bayesian_markov"]
