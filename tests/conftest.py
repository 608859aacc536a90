from pathlib import Path

import pytest

from benchmarks import env
from benchmarks.data import load_mnist
from benchmarks.source import implementations

ROOT = Path(__file__).resolve().parent.parent
BACKENDS = implementations()
REFERENCE = "numpy_loop"

requires_cuda = pytest.mark.skipif(not env.cuda_available(), reason="no CUDA GPU on this machine")


@pytest.fixture(scope="session")
def mnist():
    return load_mnist()
