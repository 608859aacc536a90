"""Where an epoch's time goes: the kernels of every backend, with pytest-benchmark.

    make micro                                   # run, saved under .benchmarks/
    .venv/bin/python -m pytest benchmarks/micro --benchmark-compare   # against the last saved run

Each benchmark is grouped by operation and batch size, so the table compares
backends doing the same work. Threads are pinned as the harness pins them, and
every measured call ends with the device synchronised, so CUDA times are true.
"""

import pytest

from benchmarks import env
from benchmarks.data import load_mnist
from benchmarks.fairness import epoch_order, init_params, layer_sizes, prepare
from benchmarks.registry import backend_options, implementations

BATCHES = (10, 100, 1000)
THREADS = 1
HIDDEN = 30
ETA = 3.0
CUDA = [pytest.mark.cuda, pytest.mark.skipif(not env.cuda_available(), reason="no CUDA GPU on this machine")]
CASES = [
    pytest.param((name, device), id=f"{name}-{device}", marks=CUDA if device == "cuda" else [])
    for name, cls in implementations().items()
    for device in cls.devices
]
nets = {}


@pytest.fixture(scope="module")
def mnist():
    return load_mnist()


@pytest.fixture(scope="module", autouse=True)
def pinned_threads():
    with env.pinned_threads(THREADS) as counts:
        yield counts


@pytest.fixture(params=CASES)
def net(request, mnist):
    name, device = request.param
    if request.param not in nets:
        params = init_params(layer_sizes(HIDDEN), seed=0)
        nets[request.param] = implementations()[name](
            params, mnist.train_x, mnist.train_y, device=device, dtype="float32", **backend_options(name)
        )
    return nets[request.param]


@pytest.fixture
def measure(benchmark, net, pinned_threads, request):
    """Benchmark fn() followed by a device synchronisation, in the group `operation, batch`."""

    def run(operation, batch, fn, *args):
        benchmark.group = f"{operation}, batch {batch}"
        benchmark.extra_info.update(pinned_threads | {"threads": THREADS, "hidden": HIDDEN, "batch": batch})

        def synchronised():
            fn(*args)
            net.synchronize()

        benchmark(synchronised)

    return run


@pytest.mark.parametrize("batch", BATCHES)
def test_forward(measure, net, mnist, batch):
    x, _ = net.place(mnist.train_x[:batch], mnist.train_y[:batch])
    measure("forward", batch, net.forward, x)


@pytest.mark.parametrize("batch", BATCHES)
def test_backprop(measure, net, mnist, batch):
    x, y = net.place(mnist.train_x[:batch], mnist.train_y[:batch])
    measure("backprop", batch, net.gradients, x, y)


@pytest.mark.parametrize("batch", BATCHES)
def test_sgd_step(measure, net, mnist, batch):
    order = epoch_order(0, 1, len(mnist.train_y))[:batch]
    prepare(net, batch, ETA)  # the harness's warm-up: compilation and capture stay out of the figures
    measure("SGD step", batch, net.train_epoch, order, batch, ETA)


def test_evaluate_10000(measure, net, mnist):
    x, y = net.place(mnist.test_x, mnist.test_y)
    measure("evaluate", len(mnist.test_y), net.evaluate, x, y)
