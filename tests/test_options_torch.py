"""Chapter 3's settings where the torch and JAX backends take paths of their own: the CUDA-graph loop
(velocities through capture's warm-up), TorchScript's compile-time choice of code, and costs computed
from z_L. The shared gradient and equivalence tests cover the rest."""

import re

import numpy as np
import pytest

from benchmarks.fairness import epoch_order, init_params, prepare
from impls import cuda_graphs
from tests.conftest import BACKENDS, CONFIGURED, REFERENCE

GRAPH_BACKENDS = [name for name, cls in BACKENDS.items() if hasattr(cls, "graph_fraction")]
SETTINGS = [
    {"momentum": 0.5, "lmbda": 0.5},
    {"output": "softmax", "activation": "relu", "momentum": 0.9, "lmbda": 2.0},
]
SIZES, EXAMPLES, BATCH, ETA = [12, 6, 5, 4], 40, 7, 0.5


def eager_capture(run, warmup):
    """Stands in for CUDA graph capture on the CPU: warms up as capture does, then replays eagerly."""
    warmup()
    return run


def two_epochs(name, settings, **options):
    rng = np.random.default_rng(11)
    x, y = rng.random((EXAMPLES, SIZES[0])), rng.integers(0, SIZES[-1], EXAMPLES)
    net = CONFIGURED[name](init_params(SIZES, seed=5), x, y, dtype="float64", **settings, **options)
    if options:
        net.graphs.enabled = True  # on a GPU the constructor sets this
    prepare(net, BATCH, ETA)
    for epoch in (1, 2):
        net.train_epoch(epoch_order(5, epoch, EXAMPLES), BATCH, ETA)
    return net


@pytest.mark.parametrize("settings", SETTINGS, ids=str)
@pytest.mark.parametrize("name", GRAPH_BACKENDS)
def test_cuda_graph_chunks_carry_the_velocities_as_nielsens_loop_does(name, settings, monkeypatch):
    """Chunks of 2 steps of 7: capture's warm-up trains, then parameters and velocities go back to the
    start; each epoch replays 2 chunks, then ends eagerly in a partial mini-batch."""
    monkeypatch.setattr(cuda_graphs, "capture_graph", eager_capture)
    net = two_epochs(name, settings, graph_steps=2)
    assert net.graphs.replays == 4
    expected = two_epochs(REFERENCE, settings).parameters()
    for index, (got, want) in enumerate(zip(net.parameters(), expected)):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-10, err_msg=f"{name} parameter {index}")


def scripted_ops(settings):
    net = CONFIGURED["torch"](
        init_params(SIZES, seed=5), np.zeros((1, SIZES[0])), np.zeros(1, int), **settings
    )
    return set(re.findall(r"aten::\w+|prim::If", str(net.sgd_epoch.forward.inlined_graph)))


def test_torchscript_compiles_chapter_1_to_its_own_operations_alone():
    """The settings are constants of the scripted module: no branch is left for the step to take."""
    chapter_1 = scripted_ops({})
    assert {"aten::sigmoid_", "aten::sigmoid_backward", "aten::addmm_", "aten::addmv_"} <= chapter_1
    assert not chapter_1 & {"prim::If", "aten::add_", "aten::tanh_", "aten::relu_", "aten::softmax"}
    changed = scripted_ops({"activation": "relu", "output": "softmax", "momentum": 0.9})
    assert {"aten::relu_", "aten::threshold_backward", "aten::softmax", "aten::add_"} <= changed
    assert "prim::If" not in changed


TORCH_AND_JAX = [name for name in BACKENDS if name.startswith(("torch", "jax"))]


@pytest.mark.parametrize("settings", [{"cost": "cross_entropy"}, {"output": "softmax"}], ids=str)
@pytest.mark.parametrize("name", TORCH_AND_JAX)
def test_a_saturated_wrong_output_costs_its_logits_not_infinity(name, settings):
    """z_L = (60, -60) for an example of label 1: in float32 a_L = (1, 0) exactly, where ln(1 - a) and
    ln a are -inf; from z_L both costs are 120 (the cross-entropy 2 softplus(60), the log-likelihood
    -ln softmax(z)_1)."""
    params = [np.zeros((3, 2)), np.zeros(3), np.zeros((2, 3)), np.array([60.0, -60.0])]
    x, y = np.zeros((1, 2)), np.array([1])
    net = CONFIGURED[name](params, x, y, dtype="float32", **settings)
    assert net.cost(*net.place(x, y)) == pytest.approx(120.0, rel=1e-6)
