"""Bayesian attribution models: posteriors over the credit, sampled without MCMC where conjugate.

:func:`bayesian_markov` (registered as ``"bayesian_markov"``) lives in
:mod:`pathcredit.models.bayesian.markov`; :func:`bayesian_response` (``"bayesian_response"``,
PyMC) in :mod:`pathcredit.models.bayesian.response`.
"""

from .markov import bayesian_markov

__all__ = ["bayesian_markov", "bayesian_response"]


def __getattr__(name):  # PyMC-backed: imported on first use only
    if name == "bayesian_response":
        from .response import bayesian_response

        return bayesian_response
    raise AttributeError(name)
