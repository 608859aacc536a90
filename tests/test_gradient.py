"""Each backend's backprop against central finite differences of its own cost, in float64, for
chapter 1's network and for each of chapter 3's settings (the `CELLS`) that the backend supports."""

import numpy as np
import pytest

from benchmarks import configuration
from benchmarks.fairness import init_params
from benchmarks.registry import backend_options
from tests.conftest import BACKENDS, CONFIGURED, UNAVAILABLE

SIZES = [6, 5, 4]
M = 3
ETA = 1.0

# Chapter 3's settings one at a time, then together; the settings not named keep chapter 1's values.
CHAPTER_1 = configuration.CHAPTER_1 | {"hidden": (5,)}
CELLS = {
    "chapter 1": {},
    "cross_entropy": {"cost": "cross_entropy"},
    "softmax": {"output": "softmax"},
    "lmbda": {"lmbda": 0.5},
    "scaled init": {"init": "scaled"},
    "tanh": {"activation": "tanh"},
    "relu": {"activation": "relu"},
    "two hidden layers": {"hidden": (5, 3)},
    "momentum": {"momentum": 0.5},
    "momentum with lmbda": {"momentum": 0.5, "lmbda": 0.5},
    "network2": {"cost": "cross_entropy", "lmbda": 0.5, "init": "scaled", "hidden": (5, 3)},
    "softmax, tanh, momentum": {"output": "softmax", "activation": "tanh", "momentum": 0.5, "hidden": (5, 3)},
}


def cell_settings(cell: str) -> dict:
    return CHAPTER_1 | CELLS[cell]


def network_settings(cell: str) -> dict:
    """The constructor's keyword arguments for a cell: those that differ from chapter 1's, as the harness
    passes them (`init` and `hidden` go into the parameters)."""
    settings = cell_settings(cell)
    return {k: v for k, v in settings.items() if k not in ("init", "hidden") and v != CHAPTER_1[k]}


def cell_params(cell: str, n_in: int, n_out: int, seed: int) -> list[np.ndarray]:
    settings = cell_settings(cell)
    return init_params([n_in, *settings["hidden"], n_out], seed, init=settings["init"])


def skip_unsupported(name: str, cell: str) -> None:
    """Skip, with the backend's own line, a cell the backend says it lacks."""
    cls = BACKENDS[name]
    if hasattr(cls, "unsupported"):
        settings = cell_settings(cell) | {"dtype": "float64", "device": "cpu"}
        reason = cls.unsupported(**settings, options=backend_options(name))
        if reason is not None:
            pytest.skip(f"{name} does not support {cell}: {reason}")


@pytest.fixture
def batch():
    rng = np.random.default_rng(7)
    return rng.random((M, SIZES[0])), rng.integers(0, SIZES[-1], M)


def build(name, cell, params, x, y):
    return CONFIGURED[name](params, x, y, device="cpu", dtype="float64", **network_settings(cell))


def total_cost(name, cell, params, x, y):
    net = build(name, cell, params, x, y)
    return M * net.cost(*net.place(x, y))


def finite_differences(name, cell, params, x, y, h=1e-6):
    numeric = []
    for index, param in enumerate(params):
        grad = np.zeros_like(param)
        for i in np.ndindex(param.shape):
            plus = [p.copy() for p in params]
            minus = [p.copy() for p in params]
            plus[index][i] += h
            minus[index][i] -= h
            grad[i] = (total_cost(name, cell, plus, x, y) - total_cost(name, cell, minus, x, y)) / (2 * h)
        numeric.append(grad)
    return numeric


def as_numpy(array):
    return array.detach().cpu().numpy() if hasattr(array, "detach") else np.asarray(array)


def backprop_by_gradients(name, cell, params, x, y):
    net = build(name, cell, params, x, y)
    return [as_numpy(g).reshape(p.shape) for g, p in zip(net.gradients(*net.place(x, y)), params)]


def backprop_by_sgd_step(name, cell, params, x, y):
    """One SGD step from zero velocity, with n = M training examples:
    W1 = (1 - eta*lmbda/n) W0 - (eta/m) g_W and b1 = b0 - (eta/m) g_b, with or without momentum."""
    net = build(name, cell, params, x, y)
    net.train_epoch(np.arange(M), batch_size=M, eta=ETA)
    decay = 1 - ETA * cell_settings(cell)["lmbda"] / M
    return [
        ((decay if index % 2 == 0 else 1) * p0 - p1) * M / ETA
        for index, (p0, p1) in enumerate(zip(params, net.parameters()))
    ]


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("method", [backprop_by_gradients, backprop_by_sgd_step])
@pytest.mark.parametrize("name", [*BACKENDS, *UNAVAILABLE])
def test_backprop_matches_finite_differences(name, method, cell, batch):
    skip_unsupported(name, cell)
    x, y = batch
    params = cell_params(cell, SIZES[0], SIZES[-1], seed=3)
    numeric = finite_differences(name, cell, params, x, y)
    for index, (grad, expected) in enumerate(zip(method(name, cell, params, x, y), numeric)):
        assert np.linalg.norm(expected) > 1e-3, "the check needs a gradient that is not vanishingly small"
        relative = np.linalg.norm(grad - expected) / max(np.linalg.norm(grad), np.linalg.norm(expected))
        assert relative < 1e-6, f"{name} {cell} parameter {index}: relative error {relative:.2e}"


MOMENTUM_CELLS = [cell for cell in CELLS if cell_settings(cell)["momentum"]]


@pytest.mark.parametrize("cell", MOMENTUM_CELLS)
@pytest.mark.parametrize("name", [*BACKENDS, *UNAVAILABLE])
def test_momentum_steps_follow_the_documented_update(name, cell, batch):
    """Two steps, the second carrying the first's velocity, against impls.Network's equations
    V <- mu V - (eta*lmbda/n) W - (eta/m) g_W, W <- W + V (biases without the L2 term) computed from
    the backend's own gradients, which the test above checks."""
    skip_unsupported(name, cell)
    x, y = batch
    settings = cell_settings(cell)
    mu, shrink = settings["momentum"], ETA * settings["lmbda"] / M
    params = cell_params(cell, SIZES[0], SIZES[-1], seed=3)
    net = build(name, cell, params, x, y)
    net.train_epoch(np.arange(M), batch_size=M, eta=ETA)
    net.train_epoch(np.arange(M), batch_size=M, eta=ETA)

    expected, velocity = params, [np.zeros_like(p) for p in params]
    for _ in range(2):
        grads = backprop_by_gradients(name, cell, expected, x, y)
        velocity = [
            mu * v - (shrink * p if index % 2 == 0 else 0) - ETA / M * g
            for index, (v, p, g) in enumerate(zip(velocity, expected, grads))
        ]
        expected = [p + v for p, v in zip(expected, velocity)]
    for index, (got, want) in enumerate(zip(net.parameters(), expected)):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12, err_msg=f"{name} {cell} parameter {index}")


@pytest.mark.parametrize("name", BACKENDS)
def test_training_leaves_the_callers_parameters_alone(name, batch):
    x, y = batch
    params = init_params(SIZES, seed=3)
    copies = [p.copy() for p in params]
    CONFIGURED[name](params, x, y, device="cpu", dtype="float64").train_epoch(np.arange(M), M, ETA)
    for param, copy in zip(params, copies):
        np.testing.assert_array_equal(param, copy)
