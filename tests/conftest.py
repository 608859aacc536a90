import subprocess
import sys
from functools import partial
from pathlib import Path

import pytest

from benchmarks import env
from benchmarks.data import load_mnist
from benchmarks.registry import backend_options, implementations, unavailable

ROOT = Path(__file__).resolve().parent.parent
BACKENDS = implementations()
# Backends whose optional dependency is not installed: their tests skip, saying how to install it.
UNAVAILABLE = [pytest.param(name, marks=pytest.mark.skip(reason=why)) for name, why in unavailable().items()]
# Each backend's constructor with its conf/backend options, as a run builds it.
CONFIGURED = {name: partial(cls, **backend_options(name)) for name, cls in BACKENDS.items()}
REFERENCE = "numpy_loop"

requires_cuda = pytest.mark.skipif(not env.cuda_available(), reason="no CUDA GPU on this machine")


@pytest.fixture(scope="session")
def mnist():
    return load_mnist()


# Overrides that run the harness on tiny synthetic data, for tests of the harness itself.
TINY = ["data._target_=tests.synthetic.tiny_mnist", "epochs=2", "batch_size=20"]


def run_py(*args, timeout=120):
    """`python run.py ARGS` in the repository, as a user types it."""
    return subprocess.run(
        [sys.executable, "run.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


def compose_config(*overrides, results_dir="results"):
    """The run's configuration as Hydra composes it from conf/ and these overrides, without running."""
    from hydra import compose, initialize_config_dir

    from benchmarks import config

    config.register()
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        return compose("config", overrides=[*TINY, f"results_dir={results_dir}", *overrides])
