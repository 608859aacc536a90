"""From one seed, every backend takes the same steps as Nielsen's loop: on real MNIST at chapter 1's
settings, and on small synthetic data under each of chapter 3's settings that the backend supports."""

import numpy as np
import pytest
import torch

from benchmarks.fairness import epoch_order, init_params, layer_sizes, prepare
from impls import cuda_graphs
from tests.conftest import BACKENDS, CONFIGURED, REFERENCE, UNAVAILABLE, requires_cuda
from tests.test_gradient import CELLS, cell_params, network_settings, skip_unsupported

STEPS, BATCH, ETA = 20, 10, 3.0
# A partial last mini-batch: 20 of 7 examples, then 3.
PARTIAL_BATCH, PARTIAL_EXAMPLES = 7, 20 * 7 + 3


def build(cls, mnist, dtype, device="cpu", **options):
    params = init_params(layer_sizes(30), seed=0)
    return cls(params, mnist.train_x, mnist.train_y, device=device, dtype=dtype, **options)


def train_steps(net, mnist, batch=BATCH, examples=STEPS * BATCH):
    """The harness's warm-up, then the first `examples` of epoch 1's order in mini-batches of `batch`."""
    prepare(net, batch, ETA)
    order = epoch_order(0, 1, len(mnist.train_y))[:examples]
    net.train_epoch(order, batch, ETA)
    net.synchronize()
    return net.parameters()


@pytest.fixture(scope="module")
def reference(mnist):
    return {
        (dtype, batch): train_steps(build(CONFIGURED[REFERENCE], mnist, dtype), mnist, batch, examples)
        for dtype in ("float64", "float32")
        for batch, examples in ((BATCH, STEPS * BATCH), (PARTIAL_BATCH, PARTIAL_EXAMPLES))
    }


def assert_same_params(params, expected, dtype):
    initial = init_params(layer_sizes(30), seed=0)
    for got, want, start in zip(params, expected, initial):
        assert not np.array_equal(want, start), "training must have moved the parameters"
        if dtype == "float64":
            np.testing.assert_allclose(got, want, rtol=0, atol=1e-10)
        else:
            np.testing.assert_allclose(got, want, rtol=0, atol=1e-4 * np.abs(want).max())


OTHERS = [*(n for n in BACKENDS if n != REFERENCE), *UNAVAILABLE]


@pytest.mark.mnist
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", OTHERS)
def test_first_steps_match_nielsen_loop(name, dtype, mnist, reference):
    net = build(CONFIGURED[name], mnist, dtype)
    assert_same_params(train_steps(net, mnist), reference[dtype, BATCH], dtype)


@pytest.mark.mnist
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", OTHERS)
def test_a_partial_last_mini_batch_matches_nielsen_loop(name, dtype, mnist, reference):
    net = build(CONFIGURED[name], mnist, dtype)
    params = train_steps(net, mnist, PARTIAL_BATCH, PARTIAL_EXAMPLES)
    assert_same_params(params, reference[dtype, PARTIAL_BATCH], dtype)


@pytest.mark.mnist
@pytest.mark.cuda
@requires_cuda
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", [n for n, cls in BACKENDS.items() if "cuda" in cls.devices])
def test_first_steps_on_cuda_match_nielsen_loop(name, dtype, mnist, reference):
    net = build(CONFIGURED[name], mnist, dtype, "cuda")
    assert_same_params(train_steps(net, mnist), reference[dtype, BATCH], dtype)


GRAPH_BACKENDS = [name for name, cls in BACKENDS.items() if hasattr(cls, "graph_fraction")]


@pytest.mark.mnist
@pytest.mark.cuda
@requires_cuda
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", GRAPH_BACKENDS)
def test_cuda_graph_replays_match_nielsen_loop_and_end_in_a_partial_chunk(name, dtype, mnist, reference):
    """Chunks of 3 steps: 6 replays cover 18 of the 21 steps, the rest (and the partial batch) run eagerly."""
    net = build(CONFIGURED[name], mnist, dtype, "cuda", graph_steps=3)
    assert net.graphs.enabled
    params = train_steps(net, mnist, PARTIAL_BATCH, PARTIAL_EXAMPLES)
    assert net.graphs.replays == 6 and net.graph_fraction == pytest.approx(18 / 21)
    assert_same_params(params, reference[dtype, PARTIAL_BATCH], dtype)


@pytest.mark.mnist
@pytest.mark.parametrize("name", OTHERS)
def test_one_epoch_reaches_90_percent(name, mnist):
    net = build(CONFIGURED[name], mnist, "float32")
    prepare(net, BATCH, ETA)
    net.train_epoch(epoch_order(0, 1, len(mnist.train_y)), BATCH, ETA)
    accuracy = net.evaluate(*net.place(mnist.test_x, mnist.test_y)) / len(mnist.test_y)
    assert accuracy >= 0.90


@pytest.mark.mnist
@pytest.mark.parametrize(("name", "scripted"), [("torch", True), ("torch_eager", False)])
def test_torchscript_option_chooses_the_loop_that_runs(name, scripted, mnist):
    """So that the equivalence tests above cover both the TorchScript and the Python loop."""
    net = CONFIGURED[name](init_params(layer_sizes(30), seed=0), mnist.train_x[:20], mnist.train_y[:20])
    assert isinstance(net.sgd_epoch, torch.jit.ScriptModule) == scripted


def eager_capture(run, warmup):
    """Stands in for CUDA graph capture on the CPU: warms up as capture does, then replays eagerly."""
    warmup()
    return run


def failing_capture(run, warmup):
    warmup()
    raise RuntimeError("operation not permitted when stream is capturing")


@pytest.mark.mnist
@pytest.mark.parametrize("capture", [eager_capture, failing_capture])
@pytest.mark.parametrize("name", GRAPH_BACKENDS)
def test_cuda_graph_chunking_runs_on_cpu_and_keeps_nielsens_steps(
    name, capture, mnist, reference, monkeypatch, caplog
):
    """The graph path's chunking, order buffer, warm-up restore and fallback, with capture made eager:
    chunks of 3 steps of 7, and an epoch that ends in a partial chunk and a partial mini-batch."""
    monkeypatch.setattr(cuda_graphs, "capture_graph", capture)
    net = build(CONFIGURED[name], mnist, "float64", graph_steps=3)
    net.graphs.enabled = True  # on a GPU the constructor sets this
    with caplog.at_level("WARNING", logger=cuda_graphs.__name__):
        params = train_steps(net, mnist, PARTIAL_BATCH, PARTIAL_EXAMPLES)
    graphed = capture is eager_capture
    assert net.graphs.enabled == graphed
    assert net.graphs.replays == (6 if graphed else 0)
    assert net.graph_fraction == pytest.approx(18 / 21 if graphed else 0)
    assert any("training eagerly" in r.message for r in caplog.records) == (not graphed)
    assert_same_params(params, reference["float64", PARTIAL_BATCH], "float64")


@pytest.mark.mnist
@pytest.mark.parametrize("name", GRAPH_BACKENDS)
def test_a_graph_chunk_never_exceeds_the_epoch(name, mnist, monkeypatch):
    """At batch 1000, 100 steps would be twice the epoch: the chunk shrinks to the epoch's 50 steps."""
    monkeypatch.setattr(cuda_graphs, "capture_graph", eager_capture)
    net = build(CONFIGURED[name], mnist, "float32", graph_steps=100)
    net.graphs.enabled = True
    prepare(net, 1000, ETA)
    net.train_epoch(epoch_order(0, 1, len(mnist.train_y)), 1000, ETA)
    assert net.graphs.replays == 1 and net.graph_fraction == 1.0


# Chapter 3's settings: a small network on synthetic data, two epochs in mini-batches of 7 of 40
# examples (each ending in a partial batch of 5), so that momentum carries velocity between steps.
N_IN, N_OUT, EXAMPLES, CELL_BATCH, CELL_ETA, EPOCHS = 12, 4, 40, 7, 0.5, 2


def cell_steps(name, cell):
    rng = np.random.default_rng(11)
    x, y = rng.random((EXAMPLES, N_IN)), rng.integers(0, N_OUT, EXAMPLES)
    params = cell_params(cell, N_IN, N_OUT, seed=5)
    net = CONFIGURED[name](params, x, y, device="cpu", dtype="float64", **network_settings(cell))
    prepare(net, CELL_BATCH, CELL_ETA)
    for epoch in range(1, EPOCHS + 1):
        net.train_epoch(epoch_order(5, epoch, EXAMPLES), CELL_BATCH, CELL_ETA)
    net.synchronize()
    return params, net.parameters()


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("name", OTHERS)
def test_chapter_3_steps_match_nielsen_loop(name, cell):
    skip_unsupported(REFERENCE, cell)
    skip_unsupported(name, cell)
    initial, expected = cell_steps(REFERENCE, cell)
    _, params = cell_steps(name, cell)
    for index, (got, want, start) in enumerate(zip(params, expected, initial)):
        assert not np.array_equal(want, start), "training must have moved the parameters"
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-10, err_msg=f"{name} {cell} parameter {index}")
