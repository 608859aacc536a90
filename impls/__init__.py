"""Interchangeable implementations of Nielsen's network.

Every implementation computes the same thing: a fully connected network trained
by mini-batch SGD. At the defaults it is chapter 1's: sigmoid neurons, the
quadratic cost C = 1/2 ||a - y||^2, and the update w <- w - (eta/m) * (sum of
per-example gradients) for a mini-batch of m. Chapter 3's settings (network2.py)
change it as the `Network` docstring says.

Each file here depends on its framework alone and satisfies `Network`.
"""

from typing import Any, ClassVar, Protocol

import numpy as np


class Network(Protocol):
    """The interface the harness drives.

    Constructor: ``Impl(params, train_x, train_y, device="cpu", dtype="float32", cost="quadratic",
    output="sigmoid", lmbda=0.0, activation="sigmoid", momentum=0.0, **options)`` where ``params`` is
    ``[W1, b1, W2, b2, ...]`` as NumPy arrays (W of shape ``(n_out, n_in)``, b of shape ``(n_out,)``;
    one pair per layer, so ``hidden=[30, 30]`` arrives as three pairs, and ``init`` is already in
    them), ``train_x`` is ``(n, n_in)`` and ``train_y`` holds integer labels. Training data is moved
    to the device here. The harness passes only the settings that differ from these defaults (so a
    network written before them still builds). Decide the code path once here, from the settings,
    never per step: at the defaults the code must run exactly the operations of chapter 1.

    Chapter 3's settings, as network2.py does them (y one-hot, a_L the output, z_L its input):

    - ``activation`` (hidden layers only): sigmoid, sigma'(z) = a (1 - a); tanh, a = tanh z,
      1 - a^2; relu, a = max(z, 0), derivative 1 where z > 0 else 0.
    - ``output="sigmoid"`` (output layer a_L = sigmoid(z_L)) with ``cost``:
      quadratic: C = 1/2 ||a_L - y||^2, delta_L = (a_L - y) * sigma'(z_L);
      cross_entropy: C = -sum_j [y_j ln a_j + (1 - y_j) ln(1 - a_j)], delta_L = a_L - y.
    - ``output="softmax"``: a_L = softmax(z_L) with the log-likelihood cost C = -ln a_{L,label},
      delta_L = a_L - y; ``cost`` is then not used (the harness records it as log_likelihood).
    - ``cost(x, y)`` is the mean of C over the examples, ``gradients(x, y)`` the sums of dC/dW and
      dC/db: the data term only, never the L2 term, which lives in the update.
    - The update for a mini-batch of m, with n = len(train_x), g = sum over the batch of dC/dW (or
      dC/db), all in the run's dtype:

        momentum == 0:  W <- (1 - eta*lmbda/n) W - (eta/m) g_W       b <- b - (eta/m) g_b
        momentum  > 0:  V <- momentum V - (eta*lmbda/n) W - (eta/m) g_W;   W <- W + V
                        v <- momentum v - (eta/m) g_b;                     b <- b + v

      so L2 acts as the gradient of (lmbda/2n) sum W^2 added to the step before momentum, and
      momentum == 0 is exactly network2.py's update. Biases are never regularised. Velocities start
      at zero when the network is built; ``prepare_training`` sets them back to zero with the
      parameters. With lmbda == 0 and momentum == 0 the update is chapter 1's, W <- W - (eta/m) g_W.

    A static ``unsupported(**settings) -> str | None`` says whether the implementation can run the
    settings: None when it can, else one line naming what it lacks (e.g. "compiles one hidden
    layer only"). The harness calls it before the run with the keyword arguments cost, output,
    lmbda, init, activation, momentum (as above), hidden (a tuple of the hidden layers' widths),
    dtype and device, and ``options``, the backend's own conf options; accept ``**settings`` and
    read only those you need. A network without it
    supports every setting.
    """

    devices: ClassVar[tuple[str, ...]]
    # The library whose matrix product sets this implementation's peak: "numpy", "torch" or "jax";
    # any other ("numba") is held against numpy's.
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
        """Mean cost (the configured one, without the L2 term) over the examples, against one-hot targets."""

    def parameters(self) -> list[np.ndarray]:
        """Current ``[W1, b1, W2, b2, ...]`` as float64 NumPy arrays."""

    def synchronize(self) -> None:
        """Block until all queued device work is done."""


def one_hot(labels: np.ndarray, n_classes: int, dtype: Any) -> np.ndarray:
    """Targets as rows: ``(n, n_classes)`` with a single 1 per row."""
    targets = np.zeros((len(labels), n_classes), dtype=dtype)
    targets[np.arange(len(labels)), labels] = 1
    return targets
