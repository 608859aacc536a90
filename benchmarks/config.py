"""The configuration schema. Hydra validates every run against it before it starts."""

import math
import os
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, OmegaConf

from .configuration import NIELSEN
from .errors import UserError


class Device(Enum):
    cpu = "cpu"
    cuda = "cuda"
    auto = "auto"


class DType(Enum):
    float32 = "float32"
    float64 = "float64"


class Cost(Enum):
    quadratic = "quadratic"
    cross_entropy = "cross_entropy"


class Output(Enum):
    sigmoid = "sigmoid"
    softmax = "softmax"


class Evaluate(Enum):
    every = "every"  # after every epoch
    last = "last"  # after the last epoch only
    never = "never"  # timing alone: no accuracy or cost, and only the parameters checked for divergence


class Init(Enum):
    normal = "normal"
    scaled = "scaled"


class Activation(Enum):
    sigmoid = "sigmoid"
    tanh = "tanh"
    relu = "relu"


@dataclass
class BackendConfig:
    name: str = MISSING
    # idiomatic: the code its framework teaches; tuned: written for speed; learner: someone's own.
    style: str = "tuned"
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
    batch_size: int = NIELSEN["batch_size"]
    # An int or a list of ints (one per hidden layer); the schema cannot type a union, check() does.
    hidden: Any = NIELSEN["hidden"]
    eta: float = NIELSEN["eta"]
    epochs: int = NIELSEN["epochs"]
    # Train and time each epoch on the first this many examples of its shuffled order (None: all of
    # them), where a whole epoch of a large network takes too long for a sweep; recorded with the run.
    epoch_examples: int | None = None
    evaluate: Evaluate = Evaluate.every
    seed: int = 0
    dtype: DType = DType.float32
    cost: Cost = Cost.quadratic
    output: Output = Output.sigmoid
    lmbda: float = 0.0
    init: Init = Init.normal
    activation: Activation = Activation.sigmoid
    momentum: float = 0.0
    threads: int = 1
    background_load: int = 0
    target_accuracy: float = 0.94
    results_dir: str = "results"
    # The SLURM partition a job asks for under hydra/launcher=slurm_*, a sweep dimension (partition=a,b);
    # None: the launcher's own.
    partition: str | None = None
    network: str = "examples/network.py"
    # backend=yours: your constructor's arguments, your methods by role and their extra arguments
    # ({NAME: EXPR}, EXPR evaluated in your file), and the longest any one call into your code may take.
    network_init: Any = None
    network_method: Any = None
    network_arg: Any = None
    network_param: Any = None
    network_timeout: float | None = None  # None: the adapter's default, 120 s
    data: DataConfig = field(default_factory=DataConfig)
    force: bool = False


def hydra_output_root(results_dir: str) -> str:
    """Where Hydra keeps its logs: under results_dir, or in a temporary folder when
    results_dir cannot be written, so that the run itself reports that in one line."""
    try:
        check_writable(Path(results_dir))
    except ConfigError:
        return tempfile.mkdtemp(prefix="backprop-bench-hydra-")
    return str(Path(results_dir) / "hydra")


def register() -> None:
    OmegaConf.register_new_resolver("hydra_output_root", hydra_output_root, replace=True)
    store = ConfigStore.instance()
    store.store(name="bench_schema", node=BenchConfig)
    store.store(group="backend", name="backend_schema", node=BackendConfig)


class ConfigError(UserError):
    """A setting with a value the run cannot use; the message names it and what is allowed."""


def check(cfg) -> None:
    """Reject values the schema's types admit but a run cannot use, one line per problem."""
    cores = os.cpu_count()
    rules = [
        ("batch_size", cfg.batch_size >= 1, "must be at least 1"),
        ("hidden", hidden_widths(cfg.hidden) is not None, "must be a width of at least 1 or a list of them"),
        ("eta", math.isfinite(cfg.eta) and cfg.eta > 0, "must be a finite number above 0"),
        ("lmbda", math.isfinite(cfg.lmbda) and cfg.lmbda >= 0, "must be a finite number, 0 or above"),
        ("momentum", 0 <= cfg.momentum < 1, "must be at least 0 and below 1"),
        ("epochs", cfg.epochs >= 1, "must be at least 1"),
        (
            "epoch_examples",
            cfg.epoch_examples is None or cfg.epoch_examples >= cfg.batch_size,
            "must be null (the whole training set) or at least batch_size",
        ),
        ("threads", 1 <= cfg.threads <= cores, f"must be between 1 and this machine's {cores} cores"),
        ("background_load", 0 <= cfg.background_load <= cores, f"must be between 0 and {cores}"),
        ("target_accuracy", 0 <= cfg.target_accuracy <= 1, "must be between 0 and 1"),
    ]
    for key, valid, allowed in rules:
        if not valid:
            raise ConfigError(f"{key}={cfg[key]}: {allowed}")
    check_writable(Path(cfg.results_dir))


def hidden_widths(hidden) -> tuple[int, ...] | None:
    """The hidden layers' widths from `hidden` as typed (30, or [30, 30]); None when it is not that."""
    widths = [hidden] if isinstance(hidden, int) else hidden
    if not isinstance(widths, Sequence) or isinstance(widths, str) or not widths:
        return None
    if not all(isinstance(w, int) and not isinstance(w, bool) and w >= 1 for w in widths):
        return None
    return tuple(widths)


def check_writable(folder: Path) -> None:
    probe = folder / f".write-test-{uuid.uuid4().hex}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as e:
        raise ConfigError(
            f"results_dir={folder}: not writable ({e.strerror or e}); choose a folder you can write"
        ) from None
