"""Each backend's backprop against central finite differences of its own cost, in float64."""

import numpy as np
import pytest

from benchmarks.fairness import init_params
from tests.conftest import BACKENDS, CONFIGURED, UNAVAILABLE

SIZES = [6, 5, 4]
M = 3
ETA = 1.0


@pytest.fixture
def batch():
    rng = np.random.default_rng(7)
    return rng.random((M, SIZES[0])), rng.integers(0, SIZES[-1], M)


def total_cost(cls, params, x, y):
    net = cls(params, x, y, device="cpu", dtype="float64")
    return M * net.cost(*net.place(x, y))


def finite_differences(cls, params, x, y, h=1e-6):
    numeric = []
    for index, param in enumerate(params):
        grad = np.zeros_like(param)
        for i in np.ndindex(param.shape):
            plus = [p.copy() for p in params]
            minus = [p.copy() for p in params]
            plus[index][i] += h
            minus[index][i] -= h
            grad[i] = (total_cost(cls, plus, x, y) - total_cost(cls, minus, x, y)) / (2 * h)
        numeric.append(grad)
    return numeric


def as_numpy(array):
    return array.detach().cpu().numpy() if hasattr(array, "detach") else np.asarray(array)


def backprop_by_gradients(cls, params, x, y):
    net = cls(params, x, y, device="cpu", dtype="float64")
    return [as_numpy(g).reshape(p.shape) for g, p in zip(net.gradients(*net.place(x, y)), params)]


def backprop_by_sgd_step(cls, params, x, y):
    """One SGD step: p1 = p0 - (eta/m) * sum of per-example gradients."""
    net = cls(params, x, y, device="cpu", dtype="float64")
    net.train_epoch(np.arange(M), batch_size=M, eta=ETA)
    return [(p0 - p1) * M / ETA for p0, p1 in zip(params, net.parameters())]


@pytest.mark.parametrize("method", [backprop_by_gradients, backprop_by_sgd_step])
@pytest.mark.parametrize("name", [*BACKENDS, *UNAVAILABLE])
def test_backprop_matches_finite_differences(name, method, batch):
    cls = CONFIGURED[name]
    x, y = batch
    params = init_params(SIZES, seed=3)
    numeric = finite_differences(cls, params, x, y)
    for index, (grad, expected) in enumerate(zip(method(cls, params, x, y), numeric)):
        assert np.linalg.norm(expected) > 1e-3, "the check needs a gradient that is not vanishingly small"
        relative = np.linalg.norm(grad - expected) / max(np.linalg.norm(grad), np.linalg.norm(expected))
        assert relative < 1e-6, f"{name} parameter {index}: relative error {relative:.2e}"


@pytest.mark.parametrize("name", BACKENDS)
def test_training_leaves_the_callers_parameters_alone(name, batch):
    x, y = batch
    params = init_params(SIZES, seed=3)
    copies = [p.copy() for p in params]
    CONFIGURED[name](params, x, y, device="cpu", dtype="float64").train_epoch(np.arange(M), M, ETA)
    for param, copy in zip(params, copies):
        np.testing.assert_array_equal(param, copy)
