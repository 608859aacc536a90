"""Nielsen's network as plain loop nests compiled by numba: a whole epoch is one compiled call.

For each mini-batch of m examples x_k (rows of the training set, in `order`):

    a1_k = sigmoid(W1 x_k + b1),  a2_k = sigmoid(W2 a1_k + b2)
    d2_k = (a2_k - y_k) * a2_k * (1 - a2_k),  d1_k = (W2^T d2_k) * a1_k * (1 - a1_k)
    W1 -= (eta/m) sum_k d1_k x_k^T,  b1 -= (eta/m) sum_k d1_k   (and likewise W2, b2 with a1_k)

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

from impls import one_hot

FASTMATH = {"reassoc", "contract"}


@numba.njit(cache=True, fastmath=FASTMATH)
def hidden_layer(x, rows, w1, b1, a1):
    """a1[k] = sigmoid(W1 x[rows[k]] + b1); four examples share each pass over a row of W1."""
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
            a1[k, j] = 1.0 / (1.0 + np.exp(-z0))
            a1[k + 1, j] = 1.0 / (1.0 + np.exp(-z1))
            a1[k + 2, j] = 1.0 / (1.0 + np.exp(-z2))
            a1[k + 3, j] = 1.0 / (1.0 + np.exp(-z3))
    for k in range(blocked, len(rows)):
        xk = x[rows[k]]
        for j in range(hidden):
            z = b1[j]
            for p in range(n_in):
                z += w1[j, p] * xk[p]
            a1[k, j] = 1.0 / (1.0 + np.exp(-z))


@numba.njit(cache=True, fastmath=FASTMATH)
def backprop(x, y, rows, w1, b1, w2, b2, a1, d1, d2):
    """Fill a1 (hidden activations) and the deltas d1, d2 of the examples x[rows]."""
    hidden_layer(x, rows, w1, b1, a1)
    hidden = w1.shape[0]
    n_out = w2.shape[0]
    for k in range(len(rows)):
        for o in range(n_out):
            z = b2[o]
            for j in range(hidden):
                z += w2[o, j] * a1[k, j]
            a = 1.0 / (1.0 + np.exp(-z))
            d2[k, o] = (a - y[rows[k], o]) * a * (1.0 - a)
        for j in range(hidden):
            back = 0.0
            for o in range(n_out):
                back += w2[o, j] * d2[k, o]
            d1[k, j] = back * a1[k, j] * (1.0 - a1[k, j])


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
def sgd_epoch(x, y, order, w1, b1, w2, b2, batch_size, step, last_step, a1, d1, d2):
    """One pass over `order`; `step` is eta/m for a whole mini-batch, `last_step` for a partial last one."""
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        backprop(x, y, rows, w1, b1, w2, b2, a1, d1, d2)
        update(x, rows, w1, b1, w2, b2, a1, d1, d2, step if len(rows) == batch_size else last_step)


class NumbaLoops:
    devices = ("cpu",)
    framework = "numba"

    def __init__(self, params, train_x, train_y, device="cpu", dtype="float32"):
        if len(params) != 4:
            raise ValueError("the numba backend has one hidden layer: params are [W1, b1, W2, b2]")
        self.dtype = np.dtype(dtype)
        # np.array copies: training must never write into the caller's arrays.
        self.w1, self.b1, self.w2, self.b2 = (np.array(p, dtype=self.dtype, order="C") for p in params)
        self.train_x = np.ascontiguousarray(train_x, dtype=self.dtype)
        self.train_y = one_hot(train_y, self.w2.shape[0], self.dtype)

    def buffers(self, m):
        return tuple(
            np.empty((m, n), self.dtype) for n in (self.w1.shape[0], self.w1.shape[0], self.w2.shape[0])
        )

    def train_epoch(self, order, batch_size, eta):
        order = np.ascontiguousarray(order, dtype=np.int64)
        last = len(order) % batch_size or batch_size
        step, last_step = self.dtype.type(eta / batch_size), self.dtype.type(eta / last)
        sgd_epoch(
            self.train_x, self.train_y, order, self.w1, self.b1, self.w2, self.b2,
            batch_size, step, last_step, *self.buffers(batch_size),
        )  # fmt: skip

    def prepare_training(self, batch_size, eta):
        """Compile (or load from the disk cache) for this dtype, then put the parameters back."""
        saved = [p.copy() for p in (self.w1, self.b1, self.w2, self.b2)]
        self.train_epoch(np.arange(min(2 * batch_size, len(self.train_x))), batch_size, eta)
        for p, value in zip((self.w1, self.b1, self.w2, self.b2), saved):
            p[...] = value

    def place(self, x, y):
        return np.ascontiguousarray(x, dtype=self.dtype), np.asarray(y)

    def forward(self, x):
        with np.errstate(over="ignore"):
            hidden = 1 / (1 + np.exp(-(x @ self.w1.T + self.b1)))
            return 1 / (1 + np.exp(-(hidden @ self.w2.T + self.b2)))

    def gradients(self, x, y):
        """Sums over the examples of dC/dW and dC/db, from the compiled backprop's deltas."""
        rows = np.arange(len(x))
        a1, d1, d2 = self.buffers(len(x))
        backprop(
            x, one_hot(y, self.w2.shape[0], self.dtype), rows, self.w1, self.b1, self.w2, self.b2, a1, d1, d2
        )
        return [d1.T @ x, d1.sum(0), d2.T @ a1, d2.sum(0)]

    def evaluate(self, x, y):
        return int(np.count_nonzero(self.forward(x).argmax(axis=1) == y))

    def cost(self, x, y):
        diff = self.forward(x) - one_hot(y, self.w2.shape[0], self.dtype)
        return float(0.5 * np.einsum("ij,ij->", diff, diff, dtype=np.float64) / len(x))

    def parameters(self):
        return [p.astype(np.float64) for p in (self.w1, self.b1, self.w2, self.b2)]

    def synchronize(self):
        pass
