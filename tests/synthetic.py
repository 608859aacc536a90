"""Tiny synthetic stand-ins for the harness tests: data and fault-injecting backends."""

import os
import signal
import time

import numpy as np

from benchmarks.data import Mnist
from impls.numpy_batch import NumpyBatch


def tiny_mnist(
    path: None = None, n_train: int = 200, n_eval: int = 50, seed: int = 0, n_test: int | None = None
) -> Mnist:
    """Random images shaped like MNIST, with labels a linear rule makes learnable.

    Takes the `path` that the data config always passes, and has no use for it.
    """
    rng = np.random.default_rng(seed)
    direction = rng.standard_normal((784, 10))

    def split(n):
        x = rng.random((n, 784), dtype=np.float32)
        return x, (x @ direction).argmax(axis=1)

    (train_x, train_y), (val_x, val_y) = split(n_train), split(n_eval)
    test_x, test_y = split(n_test or n_eval)
    return Mnist(train_x, train_y, val_x, val_y, test_x, test_y)


def tiny_mnist_other_draw(path: None = None) -> Mnist:
    """Other data of the same shapes: what a changed data set looks like to the harness."""
    return tiny_mnist(seed=1)


VALIDATION_SIZE, TEST_SIZE = 50, 40


def tiny_mnist_smaller_test(path: None = None) -> Mnist:
    """Validation and test sets of different sizes, so that ScriptedAccuracy tells them apart."""
    return tiny_mnist(n_eval=VALIDATION_SIZE, n_test=TEST_SIZE)


class ScriptedAccuracy(NumpyBatch):
    """Trains normally, but reports scripted accuracies: validation first reaches 60% at
    epoch 2, test only at epoch 3."""

    SCRIPT = {"validation": [0.1, 0.6, 0.9, 0.9], "test": [0.1, 0.3, 0.9, 0.9]}

    def train_epoch(self, order, batch_size, eta):
        super().train_epoch(order, batch_size, eta)
        self.epochs_done = getattr(self, "epochs_done", 0) + 1

    def evaluate(self, x, y):
        split = "test" if len(y) == TEST_SIZE else "validation"
        return round(self.SCRIPT[split][self.epochs_done - 1] * len(y))


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


class Sleepy(NumpyBatch):
    """Trains normally, then sleeps `epoch_sleep_s` each epoch: a job that runs long enough to be
    cancelled or to reach a time limit."""

    def __init__(self, *args, epoch_sleep_s: float, **kwargs):
        super().__init__(*args, **kwargs)
        self.epoch_sleep_s = epoch_sleep_s

    def train_epoch(self, order, batch_size, eta):
        super().train_epoch(order, batch_size, eta)
        time.sleep(self.epoch_sleep_s)


class CountsExamples(NumpyBatch):
    """Trains normally, and keeps how many examples each epoch trained on, in `trained`."""

    trained: list[int] = []

    def train_epoch(self, order, batch_size, eta):
        CountsExamples.trained.append(len(order))
        super().train_epoch(order, batch_size, eta)


class Recording(NumpyBatch):
    """Trains normally, and keeps the parameters it started from and the order of every epoch it
    trained, each instance in `Recording.built`: what a pair's two sides were given."""

    built: list["Recording"] = []

    def __init__(self, params, *args, **kwargs):
        super().__init__(params, *args, **kwargs)
        self.start = [p.copy() for p in params]
        self.orders = []
        Recording.built.append(self)

    def train_epoch(self, order, batch_size, eta):
        self.orders.append(np.array(order))
        super().train_epoch(order, batch_size, eta)
