"""Interchangeable implementations of Nielsen's chapter-1 network.

Every implementation computes the same thing: a fully connected sigmoid network
trained by mini-batch SGD on the quadratic cost C = 1/2 ||a - y||^2, with the
update w <- w - (eta/m) * (sum of per-example gradients) for a mini-batch of m.

Each file here depends on its framework alone and satisfies `Network`.
"""

from typing import Any, ClassVar, Protocol

import numpy as np


class Network(Protocol):
    """The interface the harness drives.

    Constructor: ``Impl(params, train_x, train_y, device="cpu", dtype="float32", **options)``
    where ``params`` is ``[W1, b1, W2, b2, ...]`` as NumPy arrays (W of shape
    ``(n_out, n_in)``, b of shape ``(n_out,)``), ``train_x`` is ``(n, n_in)`` and
    ``train_y`` holds integer labels. Training data is moved to the device here.
    """

    devices: ClassVar[tuple[str, ...]]
    # The library whose matrix product sets this implementation's peak: "numpy" or "torch".
    framework: ClassVar[str]

    # Optional: ``prepare_training(batch_size, eta)``, called once inside the
    # setup timing: whatever compiles, captures or specialises does it there and
    # then restores the parameters, so that no timed epoch pays for it. A
    # ``graph_fraction``: the share of the last epoch's steps replayed from CUDA graphs.
    # A static ``check_options(**options)`` that raises ValueError, with a message
    # for the user, when the options cannot work (checked before any run starts).

    def place(self, x: np.ndarray, y: np.ndarray) -> tuple[Any, Any]:
        """Copy an evaluation set to the device once, before any timing."""

    def train_epoch(self, order: np.ndarray, batch_size: int, eta: float) -> None:
        """One pass of SGD over the training examples in ``order``."""

    def forward(self, x: Any) -> Any:
        """Output activations for inputs as returned by ``place``."""

    def gradients(self, x: Any, y: Any) -> list[Any]:
        """Sums over the examples of dC/dW and dC/db, ``[dW1, db1, dW2, db2, ...]``, on the device."""

    def evaluate(self, x: Any, y: Any) -> int:
        """Number of examples whose argmax output equals the label."""

    def cost(self, x: Any, y: Any) -> float:
        """Mean quadratic cost over the examples, against one-hot targets."""

    def parameters(self) -> list[np.ndarray]:
        """Current ``[W1, b1, W2, b2, ...]`` as float64 NumPy arrays."""

    def synchronize(self) -> None:
        """Block until all queued device work is done."""


def one_hot(labels: np.ndarray, n_classes: int, dtype: Any) -> np.ndarray:
    """Targets as rows: ``(n, n_classes)`` with a single 1 per row."""
    targets = np.zeros((len(labels), n_classes), dtype=dtype)
    targets[np.arange(len(labels)), labels] = 1
    return targets
