"""Nielsen's network with the mini-batch as one matrix.

Rows are examples. For a mini-batch X of shape (m, n_in), layer l computes
z_l = a_{l-1} W_l^T + b_l and a_l = sigmoid(z_l). Backprop runs the same
equations as Nielsen's BP1-BP4 on all m examples at once:

    delta_L = (a_L - y) * a_L * (1 - a_L)
    delta_l = (delta_{l+1} W_{l+1}) * a_l * (1 - a_l)
    dC/dW_l = delta_l^T a_{l-1},  dC/db_l = sum over rows of delta_l

Buffers are allocated once per mini-batch size and reused in place.
"""

import numpy as np

from impls import one_hot


def sigmoid_(z):
    """Sigmoid in place: z <- 1 / (1 + exp(-z))."""
    np.negative(z, out=z)
    np.exp(z, out=z)
    z += 1
    np.reciprocal(z, out=z)
    return z


class NumpyBatch:
    devices = ("cpu",)
    framework = "numpy"

    def __init__(self, params, train_x, train_y, device="cpu", dtype="float32"):
        self.dtype = np.dtype(dtype)
        self.weights = [w.astype(self.dtype) for w in params[0::2]]
        self.biases = [b.astype(self.dtype) for b in params[1::2]]
        self.sizes = [self.weights[0].shape[1]] + [w.shape[0] for w in self.weights]
        self.train_x = np.ascontiguousarray(train_x, dtype=self.dtype)
        self.train_y = one_hot(train_y, self.sizes[-1], self.dtype)
        self.grad_w = [np.empty_like(w) for w in self.weights]
        self.grad_b = [np.empty_like(b) for b in self.biases]
        self.buffers = {}

    def batch_buffers(self, m):
        if m not in self.buffers:
            self.buffers[m] = {
                "ones": np.ones(m, self.dtype),
                "x": np.empty((m, self.sizes[0]), self.dtype),
                "y": np.empty((m, self.sizes[-1]), self.dtype),
                "a": [np.empty((m, n), self.dtype) for n in self.sizes[1:]],
                "delta": [np.empty((m, n), self.dtype) for n in self.sizes[1:]],
                "slope": [np.empty((m, n), self.dtype) for n in self.sizes[1:]],
            }
        return self.buffers[m]

    def place(self, x, y):
        return np.ascontiguousarray(x, dtype=self.dtype), np.asarray(y)

    def forward(self, x):
        a = x
        with np.errstate(over="ignore"):
            for w, b in zip(self.weights, self.biases):
                a = sigmoid_(a @ w.T + b)
        return a

    def train_epoch(self, order, batch_size, eta):
        with np.errstate(over="ignore"):  # exp(-z) -> inf for very negative z gives sigmoid 0, as it should
            for k in range(0, len(order), batch_size):
                self.update_mini_batch(order[k : k + batch_size], eta)

    def update_mini_batch(self, batch, eta):
        buf = self.batch_buffers(len(batch))
        # mode="clip" lets take write straight into `out` instead of through a bounds-checked
        # buffer, twice as fast at these sizes; `batch` comes from a permutation, so is in range.
        self.train_x.take(batch, axis=0, out=buf["x"], mode="clip")
        self.train_y.take(batch, axis=0, out=buf["y"], mode="clip")
        self.backprop(buf, scale=-eta / len(batch))
        for w, b, gw, gb in zip(self.weights, self.biases, self.grad_w, self.grad_b):
            w += gw
            b += gb

    def gradients(self, x, y):
        """Sums over the examples of dC/dW and dC/db; the arrays are reused by the next call."""
        buf = self.batch_buffers(len(x))
        buf["x"][:] = x
        buf["y"][:] = one_hot(y, self.sizes[-1], self.dtype)
        with np.errstate(over="ignore"):
            self.backprop(buf, scale=1.0)
        return [g for pair in zip(self.grad_w, self.grad_b) for g in pair]

    def backprop(self, buf, scale):
        """Fill grad_w and grad_b with `scale` times the summed gradients of the batch in `buf`."""
        x, y, acts, deltas, slopes = buf["x"], buf["y"], buf["a"], buf["delta"], buf["slope"]
        inputs = [x] + acts[:-1]
        for a_in, a, w, b in zip(inputs, acts, self.weights, self.biases):
            np.matmul(a_in, w.T, out=a)
            a += b
            sigmoid_(a)

        # sigma'(z) = a (1 - a), so the slope needs no stored z.
        for a, slope in zip(acts, slopes):
            np.subtract(1, a, out=slope)
            slope *= a
        # Backprop is linear in the output delta, so scaling it scales every gradient.
        np.subtract(acts[-1], y, out=deltas[-1])
        deltas[-1] *= slopes[-1]
        deltas[-1] *= self.dtype.type(scale)
        for layer in range(len(self.weights) - 1, 0, -1):
            np.matmul(deltas[layer], self.weights[layer], out=deltas[layer - 1])
            deltas[layer - 1] *= slopes[layer - 1]

        for a_in, delta, gw, gb in zip(inputs, deltas, self.grad_w, self.grad_b):
            np.matmul(delta.T, a_in, out=gw)
            np.matmul(buf["ones"], delta, out=gb)  # the column sums, faster than np.sum at these sizes

    def evaluate(self, x, y):
        return int(np.count_nonzero(self.forward(x).argmax(axis=1) == y))

    def cost(self, x, y):
        diff = self.forward(x) - one_hot(y, self.sizes[-1], self.dtype)
        return float(0.5 * np.einsum("ij,ij->", diff, diff, dtype=np.float64) / len(x))

    def parameters(self):
        params = []
        for w, b in zip(self.weights, self.biases):
            params += [w.astype(np.float64), b.astype(np.float64)]
        return params

    def synchronize(self):
        pass
