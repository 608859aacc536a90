from pathlib import Path

import pytest
from hydra.utils import get_class
from omegaconf import OmegaConf

from benchmarks import env
from benchmarks.data import load_mnist

ROOT = Path(__file__).resolve().parent.parent


def backend_classes() -> dict[str, type]:
    """Every implementation configured in conf/backend, by backend name."""
    classes = {}
    for path in sorted((ROOT / "conf" / "backend").glob("*.yaml")):
        conf = OmegaConf.load(path)
        classes[conf.name] = get_class(conf.net._target_)
    return classes


BACKENDS = backend_classes()
REFERENCE = "numpy_loop"

requires_cuda = pytest.mark.skipif(not env.cuda_available(), reason="no CUDA GPU on this machine")


@pytest.fixture(scope="session")
def mnist():
    return load_mnist()
