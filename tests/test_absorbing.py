"""The absorbing-chain kernels (pathcredit._absorbing) against direct dense solves.

The Markov model's solvers are checked end to end against the dict-built chain of
``tests/oracles.py`` in ``tests/models/markov/test_markov.py``; here the batched removal
solve of many chains (the Bayesian posterior draws, the bootstrap resamples) is
checked set by set against ``numpy.linalg.solve`` on the kept states.
"""

import numpy as np

from pathcredit._absorbing import removal_batch, removal_sets


# ---------------------------------------------------------------------- the batched kernel
def test_removal_batch_matches_a_direct_solve_per_removal_set():
    rng = np.random.default_rng(0)
    b, n, C = 4, 9, 4
    Q = rng.random((b, n, n)) * (rng.random((b, n, n)) < 0.5)
    Q *= 0.8 / Q.sum(axis=2, keepdims=True).clip(1e-9)  # rows sum to 0.8: absorbing
    p0 = rng.dirichlet(np.ones(n), size=b)
    r = rng.random((b, n, 2)) * 0.2
    contains = rng.random((n, C)) < 0.35
    contains[0, :] = False
    contains[:, 0] = False
    contains[0, 0] = True  # channel 0 is exactly state 0; channel sets of different sizes
    idx, mask = removal_sets(contains)
    base, removed = removal_batch(Q, p0, r, idx, mask)
    for i in range(b):
        A = np.eye(n) - Q[i]
        np.testing.assert_allclose(base[i], p0[i] @ np.linalg.solve(A, r[i]), rtol=1e-12)
        for c in range(C):
            keep = ~contains[:, c]
            if keep.any():
                x = np.linalg.solve(A[np.ix_(keep, keep)], r[i][keep])
                want = p0[i][keep] @ x
            else:
                want = np.zeros(2)
            np.testing.assert_allclose(removed[i, c], want, rtol=1e-9, atol=1e-13)
