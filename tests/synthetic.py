"""Tiny synthetic stand-ins for the harness tests: data and fault-injecting backends."""

import os
import signal

import numpy as np

from benchmarks.data import Mnist
from impls.numpy_batch import NumpyBatch


def tiny_mnist(path: None = None, n_train: int = 200, n_eval: int = 50, seed: int = 0) -> Mnist:
    """Random images shaped like MNIST, with labels a linear rule makes learnable.

    Takes the `path` that the data config always passes, and has no use for it.
    """
    rng = np.random.default_rng(seed)
    direction = rng.standard_normal((784, 10))

    def split(n):
        x = rng.random((n, 784), dtype=np.float32)
        return x, (x @ direction).argmax(axis=1)

    (train_x, train_y), (val_x, val_y), (test_x, test_y) = split(n_train), split(n_eval), split(n_eval)
    return Mnist(train_x, train_y, val_x, val_y, test_x, test_y)


class NaNAfterFirstEpoch(NumpyBatch):
    """Trains normally once, then its parameters turn to NaN."""

    def train_epoch(self, order, batch_size, eta):
        super().train_epoch(order, batch_size, eta)
        if getattr(self, "trained_once", False):
            self.weights[0][:] = np.nan
        self.trained_once = True


class RaisesInTraining(NumpyBatch):
    def train_epoch(self, order, batch_size, eta):
        raise RuntimeError("injected fault")


class KilledOnce(NumpyBatch):
    """The first instance to train creates `kill_marker` and dies by SIGKILL; later ones train."""

    def __init__(self, *args, kill_marker: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.kill_marker = kill_marker

    def train_epoch(self, order, batch_size, eta):
        try:
            os.close(os.open(self.kill_marker, os.O_CREAT | os.O_EXCL))
        except FileExistsError:
            return super().train_epoch(order, batch_size, eta)
        os.kill(os.getpid(), signal.SIGKILL)


class OutOfMemory(NumpyBatch):
    """Fails as a GPU does when its memory runs out."""

    def train_epoch(self, order, batch_size, eta):
        import torch

        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")
