"""The two sources of randomness every backend shares: initial parameters and batch order.

Both come from NumPy generators seeded by the run's seed, so two backends given
the same seed start from identical parameters and see identical mini-batches.
"""

import numpy as np

N_IN = 784
N_OUT = 10


def layer_sizes(hidden: int) -> list[int]:
    return [N_IN, hidden, N_OUT]


def init_params(sizes: list[int], seed: int) -> list[np.ndarray]:
    """Nielsen's N(0, 1) weights and biases, as float64 ``[W1, b1, W2, b2, ...]``."""
    rng = np.random.default_rng([seed, 0])
    params = []
    for n_in, n_out in zip(sizes, sizes[1:]):
        params.append(rng.standard_normal((n_out, n_in)))
        params.append(rng.standard_normal(n_out))
    return params


def epoch_order(seed: int, epoch: int, n: int) -> np.ndarray:
    """The permutation of training indices for one epoch (epochs count from 1)."""
    return np.random.default_rng([seed, epoch]).permutation(n)


def prepare(net, batch_size: int, eta: float) -> None:
    """The one warm-up policy, for the harness, the peers and the micro-benchmarks alike:
    whatever compiles, captures or specialises does it here, before any timed call."""
    if hasattr(net, "prepare_training"):
        net.prepare_training(batch_size, eta)
    net.synchronize()
