"""From one seed, every backend takes the same steps on real MNIST as Nielsen's loop."""

import warnings

import numpy as np
import pytest
import torch

from benchmarks.fairness import epoch_order, init_params, layer_sizes
from impls import cuda_graphs
from tests.conftest import BACKENDS, CONFIGURED, REFERENCE, requires_cuda

pytestmark = pytest.mark.mnist

STEPS, BATCH, ETA = 20, 10, 3.0


def train_steps(cls, mnist, dtype, device="cpu"):
    params = init_params(layer_sizes(30), seed=0)
    net = cls(params, mnist.train_x, mnist.train_y, device=device, dtype=dtype)
    order = epoch_order(0, 1, len(mnist.train_y))[: STEPS * BATCH]
    net.train_epoch(order, BATCH, ETA)
    net.synchronize()
    return net.parameters()


@pytest.fixture(scope="module")
def reference(mnist):
    return {dtype: train_steps(CONFIGURED[REFERENCE], mnist, dtype) for dtype in ("float64", "float32")}


def assert_same_params(params, expected, dtype):
    initial = init_params(layer_sizes(30), seed=0)
    for got, want, start in zip(params, expected, initial):
        assert not np.array_equal(want, start), "training must have moved the parameters"
        if dtype == "float64":
            np.testing.assert_allclose(got, want, rtol=0, atol=1e-10)
        else:
            np.testing.assert_allclose(got, want, rtol=0, atol=1e-4 * np.abs(want).max())


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", [n for n in BACKENDS if n != REFERENCE])
def test_first_steps_match_nielsen_loop(name, dtype, mnist, reference):
    assert_same_params(train_steps(CONFIGURED[name], mnist, dtype), reference[dtype], dtype)


@pytest.mark.cuda
@requires_cuda
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", [n for n, cls in BACKENDS.items() if "cuda" in cls.devices])
def test_first_steps_on_cuda_match_nielsen_loop(name, dtype, mnist, reference):
    assert_same_params(train_steps(CONFIGURED[name], mnist, dtype, "cuda"), reference[dtype], dtype)


@pytest.mark.parametrize("name", [n for n in BACKENDS if n != REFERENCE])
def test_one_epoch_reaches_90_percent(name, mnist):
    params = init_params(layer_sizes(30), seed=0)
    net = CONFIGURED[name](params, mnist.train_x, mnist.train_y, device="cpu", dtype="float32")
    net.train_epoch(epoch_order(0, 1, len(mnist.train_y)), BATCH, ETA)
    accuracy = net.evaluate(*net.place(mnist.test_x, mnist.test_y)) / len(mnist.test_y)
    assert accuracy >= 0.90


@pytest.mark.parametrize(("name", "scripted"), [("torch", True), ("torch_eager", False)])
def test_torchscript_option_chooses_the_loop_that_runs(name, scripted, mnist):
    """So that the equivalence tests above cover both the TorchScript and the Python loop."""
    net = CONFIGURED[name](init_params(layer_sizes(30), seed=0), mnist.train_x[:20], mnist.train_y[:20])
    assert isinstance(net.sgd_epoch, torch.jit.ScriptFunction) == scripted


GRAPH_BACKENDS = [name for name, cls in BACKENDS.items() if hasattr(cls, "prepare_training")]


def eager_capture(run, warmup_runs=2):
    """Stands in for CUDA graph capture on the CPU: warms up as capture does, then replays eagerly."""
    for _ in range(warmup_runs):
        run()
    return run


def failing_capture(run, warmup_runs=2):
    run()
    raise RuntimeError("operation not permitted when stream is capturing")


@pytest.mark.parametrize("capture", [eager_capture, failing_capture])
@pytest.mark.parametrize("name", GRAPH_BACKENDS)
def test_cuda_graph_chunking_runs_on_cpu_and_keeps_nielsens_steps(
    name, capture, mnist, reference, monkeypatch
):
    """The graph path's chunking, order buffer, warm-up restore and fallback, with capture made eager."""
    cls = CONFIGURED[name]
    monkeypatch.setattr(cuda_graphs, "capture_graph", capture)
    params = init_params(layer_sizes(30), seed=0)
    net = cls(params, mnist.train_x, mnist.train_y, device="cpu", dtype="float64", graph_steps=7)
    net.graphs.enabled = True  # on a GPU the constructor sets this
    order = epoch_order(0, 1, len(mnist.train_y))[: STEPS * BATCH]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        net.prepare_training(BATCH, ETA)
        net.train_epoch(order, BATCH, ETA)
    assert net.cuda_graphs == (capture is eager_capture)
    assert any("training eagerly" in str(w.message) for w in caught) == (capture is failing_capture)
    assert_same_params(net.parameters(), reference["float64"], "float64")
