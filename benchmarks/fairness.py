"""The two sources of randomness every backend shares: initial parameters and batch order.

Both come from NumPy generators seeded by the run's seed, so two backends given
the same seed start from identical parameters and see identical mini-batches.
"""

from collections.abc import Sequence

import numpy as np

N_IN = 784
N_OUT = 10


INITS = ("normal", "scaled")


def layer_sizes(hidden: int | Sequence[int]) -> list[int]:
    """The widths of every layer, from one hidden layer's width or a list of them: 30 or [30, 30]."""
    widths = [hidden] if isinstance(hidden, int) else list(hidden)
    return [N_IN, *widths, N_OUT]


def init_params(sizes: list[int], seed: int, init: str = "normal") -> list[np.ndarray]:
    """Float64 ``[W1, b1, W2, b2, ...]``: Nielsen's N(0, 1) weights and biases (chapter 1), or with
    init="scaled" the weights N(0, 1/n_in) (network2.py's default). Both draw the same numbers from
    the same generator, so a scaled start is the normal start's weights divided by sqrt(n_in)."""
    if init not in INITS:
        raise ValueError(f"init={init}: must be one of {', '.join(INITS)}")
    rng = np.random.default_rng([seed, 0])
    params = []
    for n_in, n_out in zip(sizes, sizes[1:]):
        weights = rng.standard_normal((n_out, n_in))
        params.append(weights / np.sqrt(n_in) if init == "scaled" else weights)
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
