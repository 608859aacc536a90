"""Nielsen's network as plain loop nests compiled by numba: a whole epoch is one compiled call.

For each mini-batch of m examples x_k (rows of the training set, in `order`):

    a1_k = sigmoid(W1 x_k + b1),  a2_k = sigmoid(W2 a1_k + b2)
    d2_k = (a2_k - y_k) * a2_k * (1 - a2_k),  d1_k = (W2^T d2_k) * a1_k * (1 - a1_k)
    W1 -= (eta/m) sum_k d1_k x_k^T,  b1 -= (eta/m) sum_k d1_k   (and likewise W2, b2 with a1_k)

Chapter 3's settings (impls.Network has the equations) enter as numbers, fixed when the network is
built: the hidden neuron (`act`), the output and its delta (`out`), the weights' L2 decay factor, and
momentum's mu and L2 shrink, with the velocities taking the gradient steps in the weights' place.
The loop nests stay those of one hidden layer; `unsupported` says so for more.

Every delta of a mini-batch is computed before any weight changes, as in the book.
Four examples share each pass over a row of W1, in the forward product and in the
update, so that the row is read once for four. The network has one hidden layer,
as every configuration here does. Sums may be
reordered so that they vectorise (fastmath "reassoc" and "contract"), but
infinities are kept: from Nielsen's N(0, 1) start, exp(-z) overflows to inf and
the sigmoid must then give 0. Compiled code is cached on disk.
"""

import numba
import numpy as np

from . import one_hot

FASTMATH = {"reassoc", "contract"}
SIGMOID, TANH, RELU = 0, 1, 2  # the hidden neuron, `act`
QUADRATIC, CROSS_ENTROPY, SOFTMAX = 0, 1, 2  # the output and its cost, `out`
NEURONS = {"sigmoid": SIGMOID, "tanh": TANH, "relu": RELU}
# The same neurons on whole arrays, for forward().
NUMPY_NEURONS = {SIGMOID: lambda z: 1 / (1 + np.exp(-z)), TANH: np.tanh, RELU: lambda z: np.maximum(z, 0)}


@numba.njit(cache=True, fastmath=FASTMATH, inline="always")
def neuron(z, act):
    if act == SIGMOID:
        return 1.0 / (1.0 + np.exp(-z))
    if act == TANH:
        return np.tanh(z)
    return max(z, 0.0)


@numba.njit(cache=True, fastmath=FASTMATH, inline="always")
def slope(a, act):
    """sigma'(z) from the neuron's output a."""
    if act == SIGMOID:
        return a * (1.0 - a)
    if act == TANH:
        return 1.0 - a * a
    return 1.0 if a > 0 else 0.0


@numba.njit(cache=True, fastmath=FASTMATH)
def hidden_layer(x, rows, w1, b1, a1, act):
    """a1[k] = sigma(W1 x[rows[k]] + b1); four examples share each pass over a row of W1."""
    hidden, n_in = w1.shape
    blocked = len(rows) - len(rows) % 4
    for k in range(0, blocked, 4):
        x0, x1, x2, x3 = x[rows[k]], x[rows[k + 1]], x[rows[k + 2]], x[rows[k + 3]]
        for j in range(hidden):
            z0 = z1 = z2 = z3 = b1[j]
            for p in range(n_in):
                w = w1[j, p]
                z0 += w * x0[p]
                z1 += w * x1[p]
                z2 += w * x2[p]
                z3 += w * x3[p]
            a1[k, j] = neuron(z0, act)
            a1[k + 1, j] = neuron(z1, act)
            a1[k + 2, j] = neuron(z2, act)
            a1[k + 3, j] = neuron(z3, act)
    for k in range(blocked, len(rows)):
        xk = x[rows[k]]
        for j in range(hidden):
            z = b1[j]
            for p in range(n_in):
                z += w1[j, p] * xk[p]
            a1[k, j] = neuron(z, act)


@numba.njit(cache=True, fastmath=FASTMATH)
def backprop(x, y, rows, w1, b1, w2, b2, a1, d1, d2, act, out):
    """Fill a1 (hidden activations) and the deltas d1, d2 of the examples x[rows]."""
    hidden_layer(x, rows, w1, b1, a1, act)
    hidden = w1.shape[0]
    n_out = w2.shape[0]
    for k in range(len(rows)):
        if out == SOFTMAX:
            # d2 holds z, then exp(z - max z), then delta = softmax(z) - y.
            for o in range(n_out):
                z = b2[o]
                for j in range(hidden):
                    z += w2[o, j] * a1[k, j]
                d2[k, o] = z
            top = d2[k].max()
            total = 0.0
            for o in range(n_out):
                d2[k, o] = np.exp(d2[k, o] - top)
                total += d2[k, o]
            for o in range(n_out):
                d2[k, o] = d2[k, o] / total - y[rows[k], o]
        else:
            for o in range(n_out):
                z = b2[o]
                for j in range(hidden):
                    z += w2[o, j] * a1[k, j]
                a = 1.0 / (1.0 + np.exp(-z))
                if out == QUADRATIC:
                    d2[k, o] = (a - y[rows[k], o]) * a * (1.0 - a)
                else:
                    d2[k, o] = a - y[rows[k], o]
        for j in range(hidden):
            back = 0.0
            for o in range(n_out):
                back += w2[o, j] * d2[k, o]
            d1[k, j] = back * slope(a1[k, j], act)


@numba.njit(cache=True, fastmath=FASTMATH)
def update(x, rows, w1, b1, w2, b2, a1, d1, d2, step):
    """W -= step * sum_k delta_k a_k^T and b -= step * sum_k delta_k; four examples' terms of W1
    go in one pass over each of its rows."""
    hidden, n_in = w1.shape
    n_out = w2.shape[0]
    blocked = len(rows) - len(rows) % 4
    for k in range(0, blocked, 4):
        x0, x1, x2, x3 = x[rows[k]], x[rows[k + 1]], x[rows[k + 2]], x[rows[k + 3]]
        for j in range(hidden):
            c0, c1, c2, c3 = step * d1[k, j], step * d1[k + 1, j], step * d1[k + 2, j], step * d1[k + 3, j]
            b1[j] -= c0 + c1 + c2 + c3
            for p in range(n_in):
                w1[j, p] -= c0 * x0[p] + c1 * x1[p] + c2 * x2[p] + c3 * x3[p]
    for k in range(blocked, len(rows)):
        xk = x[rows[k]]
        for j in range(hidden):
            c = step * d1[k, j]
            b1[j] -= c
            for p in range(n_in):
                w1[j, p] -= c * xk[p]
    for k in range(len(rows)):
        for o in range(n_out):
            c = step * d2[k, o]
            b2[o] -= c
            for j in range(hidden):
                w2[o, j] -= c * a1[k, j]


@numba.njit(cache=True, fastmath=FASTMATH)
def sgd_epoch(
    x, y, order, params, velocities, batch_size, step, last_step, buffers, act, out, decay, mu, shrink
):
    """One pass over `order`; `step` is eta/m for a whole mini-batch, `last_step` for a partial last one.
    Without momentum (mu 0) the weights decay by `decay` (1 without L2), then take the step; with it,
    the velocities V <- mu V - shrink W take the step, and W <- W + V."""
    w1, b1, w2, b2 = params
    v1, vb1, v2, vb2 = velocities
    a1, d1, d2 = buffers
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        backprop(x, y, rows, w1, b1, w2, b2, a1, d1, d2, act, out)
        rows_step = step if len(rows) == batch_size else last_step
        if mu == 0:
            if decay != 1:
                w1 *= decay
                w2 *= decay
            update(x, rows, w1, b1, w2, b2, a1, d1, d2, rows_step)
        else:
            for w, v in ((w1, v1), (w2, v2)):
                v *= mu
                v -= shrink * w
            vb1 *= mu
            vb2 *= mu
            update(x, rows, v1, vb1, v2, vb2, a1, d1, d2, rows_step)
            for w, v in ((w1, v1), (w2, v2)):
                w += v
            b1 += vb1
            b2 += vb2


class NumbaLoops:
    devices = ("cpu",)
    framework = "numba"

    def __init__(
        self, params, train_x, train_y, device="cpu", dtype="float32",
        cost="quadratic", output="sigmoid", lmbda=0.0, activation="sigmoid", momentum=0.0,
    ):  # fmt: skip
        if len(params) != 4:
            raise ValueError("the numba backend has one hidden layer: params are [W1, b1, W2, b2]")
        self.dtype = np.dtype(dtype)
        # np.array copies: training must never write into the caller's arrays.
        self.params = tuple(np.array(p, dtype=self.dtype, order="C") for p in params)
        self.w1, self.b1, self.w2, self.b2 = self.params
        self.velocities = tuple(np.zeros_like(p) for p in self.params)
        self.train_x = np.ascontiguousarray(train_x, dtype=self.dtype)
        self.train_y = one_hot(train_y, self.w2.shape[0], self.dtype)
        self.act = NEURONS[activation]
        self.out = SOFTMAX if output == "softmax" else CROSS_ENTROPY if cost == "cross_entropy" else QUADRATIC
        self.lmbda, self.momentum, self.n = lmbda, momentum, len(train_x)

    @staticmethod
    def unsupported(hidden=(30,), **settings):
        if len(hidden) != 1:
            return f"its compiled loop nests have one hidden layer, not {len(hidden)}"
        return None

    def buffers(self, m):
        return tuple(
            np.empty((m, n), self.dtype) for n in (self.w1.shape[0], self.w1.shape[0], self.w2.shape[0])
        )

    def train_epoch(self, order, batch_size, eta):
        order = np.ascontiguousarray(order, dtype=np.int64)
        last = len(order) % batch_size or batch_size
        step, last_step = self.dtype.type(eta / batch_size), self.dtype.type(eta / last)
        shrink = eta * self.lmbda / self.n
        decay, mu, shrink = (self.dtype.type(v) for v in (1 - shrink, self.momentum, shrink))
        sgd_epoch(
            self.train_x, self.train_y, order, self.params, self.velocities, batch_size, step, last_step,
            self.buffers(batch_size), self.act, self.out, decay, mu, shrink,
        )  # fmt: skip

    def prepare_training(self, batch_size, eta):
        """Compile (or load from the disk cache) for this dtype, then put the parameters back."""
        saved = [p.copy() for p in self.params]
        self.train_epoch(np.arange(min(2 * batch_size, len(self.train_x))), batch_size, eta)
        for p, value, velocity in zip(self.params, saved, self.velocities):
            p[...] = value
            velocity[...] = 0

    def place(self, x, y):
        return np.ascontiguousarray(x, dtype=self.dtype), np.asarray(y)

    def forward(self, x):
        with np.errstate(over="ignore"):
            z1 = x @ self.w1.T + self.b1
            hidden = NUMPY_NEURONS[self.act](z1)
            z2 = hidden @ self.w2.T + self.b2
            if self.out == SOFTMAX:
                e = np.exp(z2 - z2.max(axis=1, keepdims=True))
                return e / e.sum(axis=1, keepdims=True)
            return 1 / (1 + np.exp(-z2))

    def gradients(self, x, y):
        """Sums over the examples of dC/dW and dC/db, from the compiled backprop's deltas."""
        rows = np.arange(len(x))
        a1, d1, d2 = self.buffers(len(x))
        backprop(
            x, one_hot(y, self.w2.shape[0], self.dtype), rows, self.w1, self.b1, self.w2, self.b2,
            a1, d1, d2, self.act, self.out,
        )  # fmt: skip
        return [d1.T @ x, d1.sum(0), d2.T @ a1, d2.sum(0)]

    def evaluate(self, x, y):
        return int(np.count_nonzero(self.forward(x).argmax(axis=1) == y))

    def cost(self, x, y):
        if self.out == QUADRATIC:
            diff = self.forward(x) - one_hot(y, self.w2.shape[0], self.dtype)
            return float(0.5 * np.einsum("ij,ij->", diff, diff, dtype=np.float64) / len(x))
        a = self.forward(x).astype(np.float64)
        if self.out == SOFTMAX:
            return float(-np.log(a[np.arange(len(y)), y]).mean())
        targets = one_hot(y, self.w2.shape[0], np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):  # as network2.py: 0 ln 0 counts 0
            terms = np.nan_to_num(-targets * np.log(a) - (1 - targets) * np.log(1 - a))
        return float(terms.sum() / len(x))

    def parameters(self):
        return [p.astype(np.float64) for p in self.params]

    def synchronize(self):
        pass
