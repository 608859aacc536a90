"""The configuration schema. Hydra validates every run against it before it starts."""

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING


class Device(Enum):
    cpu = "cpu"
    cuda = "cuda"
    auto = "auto"


class DType(Enum):
    float32 = "float32"
    float64 = "float64"


@dataclass
class BackendConfig:
    name: str = MISSING
    # False leaves BLAS and torch at their default thread counts, as a first script would.
    pin_threads: bool = True
    # The implementation: `_target_` names its class, other keys are its options.
    net: dict[str, Any] = field(default_factory=dict)


@dataclass
class DataConfig:
    _target_: str = "benchmarks.data.load_mnist"
    path: str | None = None  # a local mnist.pkl.gz; else $BACKPROP_BENCH_MNIST, the cache, a download


@dataclass
class BenchConfig:
    backend: BackendConfig = MISSING
    device: Device = Device.cpu
    batch_size: int = 10
    hidden: int = 30
    eta: float = 3.0
    epochs: int = 30
    seed: int = 0
    dtype: DType = DType.float32
    threads: int = 1
    background_load: int = 0
    target_accuracy: float = 0.94
    results_dir: str = "results"
    data: DataConfig = field(default_factory=DataConfig)
    force: bool = False


def register() -> None:
    store = ConfigStore.instance()
    store.store(name="bench_schema", node=BenchConfig)
    store.store(group="backend", name="backend_schema", node=BackendConfig)
