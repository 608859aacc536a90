"""One backend built and timed for an epoch outside a sweep, as the harness builds and times it:
shared by the commands that put backends side by side (peers) and by the learner's checker."""

from hydra.utils import instantiate

from . import env, harness, registry
from .configuration import effective_threads
from .fairness import init_params, layer_sizes, prepare


def build(name: str, threads: int | None, setting, data, device: str):
    """The backend, built and warmed up under the thread binding it will be timed with: a compiler
    (XLA) plans its parallelism for the cores it sees when it compiles."""
    backend = registry.backend_configs()[name]
    params = init_params(layer_sizes(setting.hidden), seed=0)
    with env.pinned_threads(threads):
        net = instantiate(backend.net, params, data.train_x, data.train_y, device=device, dtype=setting.dtype)
        prepare(net, setting.batch_size, setting.eta)
    return net


def time_epoch(net, threads, order, setting) -> tuple[float, int]:
    """Seconds for one epoch, and the thread count it ran at."""
    with env.pinned_threads(threads) as counts, harness.Timer(net.synchronize) as epoch:
        net.train_epoch(order, setting.batch_size, setting.eta)
    return epoch.seconds, effective_threads(counts) if threads is None else threads
