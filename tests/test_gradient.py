"""Each backend's backprop against central finite differences of its own cost, in float64."""

import numpy as np
import pytest

from benchmarks.fairness import init_params
from tests.conftest import BACKENDS

SIZES = [6, 5, 4]
M = 3


@pytest.fixture
def batch():
    rng = np.random.default_rng(7)
    return rng.random((M, SIZES[0])), rng.integers(0, SIZES[-1], M)


def total_cost(cls, params, x, y):
    net = cls(params, x, y, device="cpu", dtype="float64")
    return M * net.cost(*net.place(x, y))


@pytest.mark.parametrize("name", BACKENDS)
def test_backprop_matches_finite_differences(name, batch):
    cls = BACKENDS[name]
    x, y = batch
    params = init_params(SIZES, seed=3)
    eta = 1.0
    net = cls(params, x, y, device="cpu", dtype="float64")
    net.train_epoch(np.arange(M), batch_size=M, eta=eta)
    # One SGD step: p1 = p0 - (eta/m) * sum of per-example gradients.
    backprop = [(p0 - p1) * M / eta for p0, p1 in zip(params, net.parameters())]

    h = 1e-6
    for index, (param, grad) in enumerate(zip(params, backprop)):
        numeric = np.zeros_like(param)
        for i in np.ndindex(param.shape):
            plus = [p.copy() for p in params]
            minus = [p.copy() for p in params]
            plus[index][i] += h
            minus[index][i] -= h
            numeric[i] = (total_cost(cls, plus, x, y) - total_cost(cls, minus, x, y)) / (2 * h)
        relative = np.linalg.norm(grad - numeric) / max(np.linalg.norm(grad), np.linalg.norm(numeric))
        assert np.linalg.norm(grad) > 1e-3, "the check needs a gradient that is not vanishingly small"
        assert relative < 1e-6, f"{name} parameter {index}: relative error {relative:.2e}"
