"""Nielsen's network with the mini-batch as one matrix.

Rows are examples. For a mini-batch X of shape (m, n_in), layer l computes
z_l = a_{l-1} W_l^T + b_l and a_l = sigmoid(z_l). Backprop runs the same
equations as Nielsen's BP1-BP4 on all m examples at once:

    delta_L = (a_L - y) * a_L * (1 - a_L)
    delta_l = (delta_{l+1} W_{l+1}) * a_l * (1 - a_l)
    dC/dW_l = delta_l^T a_{l-1},  dC/db_l = sum over rows of delta_l

Chapter 3's settings swap pieces chosen once, when the network is built: the
hidden neuron and its slope, the output (softmax), the output delta (a_L - y
for cross-entropy and for softmax with the log-likelihood), and the step (L2
decay of the weights, momentum), as impls.Network says.

Buffers are allocated once per mini-batch size and reused in place.
"""

import numpy as np

from . import one_hot


def sigmoid_(z):
    """Sigmoid in place: z <- 1 / (1 + exp(-z))."""
    np.negative(z, out=z)
    np.exp(z, out=z)
    z += 1
    np.reciprocal(z, out=z)
    return z


def tanh_(z):
    return np.tanh(z, out=z)


def relu_(z):
    return np.maximum(z, 0, out=z)


def softmax_(z):
    """Softmax of each row in place; the row's maximum is subtracted first, so exp cannot overflow."""
    z -= z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


# Each neuron's slope sigma'(z), written from its output a, into `slope`.
def sigmoid_slope(a, slope):
    np.subtract(1, a, out=slope)
    slope *= a


def tanh_slope(a, slope):
    np.multiply(a, a, out=slope)
    np.subtract(1, slope, out=slope)


def relu_slope(a, slope):
    np.greater(a, 0, out=slope)


NEURONS = {"sigmoid": (sigmoid_, sigmoid_slope), "tanh": (tanh_, tanh_slope), "relu": (relu_, relu_slope)}


class NumpyBatch:
    devices = ("cpu",)
    framework = "numpy"

    def __init__(
        self, params, train_x, train_y, device="cpu", dtype="float32",
        cost="quadratic", output="sigmoid", lmbda=0.0, activation="sigmoid", momentum=0.0,
    ):  # fmt: skip
        self.dtype = np.dtype(dtype)
        self.weights = [w.astype(self.dtype) for w in params[0::2]]
        self.biases = [b.astype(self.dtype) for b in params[1::2]]
        self.sizes = [self.weights[0].shape[1]] + [w.shape[0] for w in self.weights]
        self.train_x = np.ascontiguousarray(train_x, dtype=self.dtype)
        self.train_y = one_hot(train_y, self.sizes[-1], self.dtype)
        self.grad_w = [np.empty_like(w) for w in self.weights]
        self.grad_b = [np.empty_like(b) for b in self.biases]
        self.buffers = {}

        hidden_neuron, self.hidden_slope = NEURONS[activation]
        output_neuron = softmax_ if output == "softmax" else sigmoid_
        self.neurons = [hidden_neuron] * (len(self.weights) - 1) + [output_neuron]
        self.cost_name = "log_likelihood" if output == "softmax" else cost
        self.output_delta = self.quadratic_delta if self.cost_name == "quadratic" else self.difference_delta
        self.lmbda, self.momentum, self.n = lmbda, momentum, len(train_x)
        if momentum:
            self.velocity_w = [np.zeros_like(w) for w in self.weights]
            self.velocity_b = [np.zeros_like(b) for b in self.biases]
            self.step, self.update_mini_batch = self.momentum_step, self.chapter_3_update_mini_batch
        elif lmbda:
            self.step, self.update_mini_batch = self.decayed_step, self.chapter_3_update_mini_batch

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
            buf = self.buffers[m]
            buf["inputs"] = [buf["x"]] + buf["a"][:-1]
            buf["hidden"] = list(zip(buf["a"][:-1], buf["slope"][:-1]))
        return self.buffers[m]

    def place(self, x, y):
        return np.ascontiguousarray(x, dtype=self.dtype), np.asarray(y)

    def forward(self, x):
        a = x
        with np.errstate(over="ignore"):
            for w, b, neuron in zip(self.weights, self.biases, self.neurons):
                a = neuron(a @ w.T + b)
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

    def chapter_3_update_mini_batch(self, batch, eta):
        """update_mini_batch with L2 or momentum in the step (`step`, chosen when the network is built)."""
        buf = self.batch_buffers(len(batch))
        self.train_x.take(batch, axis=0, out=buf["x"], mode="clip")
        self.train_y.take(batch, axis=0, out=buf["y"], mode="clip")
        self.backprop(buf, scale=-eta / len(batch))
        self.step(eta)

    # The steps, with grad_w and grad_b holding -(eta/m) times the summed gradients.
    def decayed_step(self, eta):
        """network2.py's L2: W <- (1 - eta*lmbda/n) W - (eta/m) g_W; biases as before."""
        decay = self.dtype.type(1 - eta * self.lmbda / self.n)
        for w, b, gw, gb in zip(self.weights, self.biases, self.grad_w, self.grad_b):
            w *= decay
            w += gw
            b += gb

    def momentum_step(self, eta):
        """V <- mu V - (eta*lmbda/n) W - (eta/m) g_W, W <- W + V; v <- mu v - (eta/m) g_b, b <- b + v."""
        mu, shrink = self.dtype.type(self.momentum), self.dtype.type(eta * self.lmbda / self.n)
        for w, b, gw, gb, vw, vb in zip(
            self.weights, self.biases, self.grad_w, self.grad_b, self.velocity_w, self.velocity_b
        ):
            vw *= mu
            vw -= shrink * w
            vw += gw
            w += vw
            vb *= mu
            vb += gb
            b += vb

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
        y, acts, deltas, slopes, inputs = buf["y"], buf["a"], buf["delta"], buf["slope"], buf["inputs"]
        for a_in, a, w, b, neuron in zip(inputs, acts, self.weights, self.biases, self.neurons):
            np.matmul(a_in, w.T, out=a)
            a += b
            neuron(a)

        # Each slope from the neuron's output, so that no z is stored.
        for a, slope in buf["hidden"]:
            self.hidden_slope(a, slope)
        # Backprop is linear in the output delta, so scaling it scales every gradient.
        self.output_delta(acts[-1], y, deltas[-1], slopes[-1])
        deltas[-1] *= self.dtype.type(scale)
        for layer in range(len(self.weights) - 1, 0, -1):
            np.matmul(deltas[layer], self.weights[layer], out=deltas[layer - 1])
            deltas[layer - 1] *= slopes[layer - 1]

        for a_in, delta, gw, gb in zip(inputs, deltas, self.grad_w, self.grad_b):
            np.matmul(delta.T, a_in, out=gw)
            np.matmul(buf["ones"], delta, out=gb)  # the column sums, faster than np.sum at these sizes

    @staticmethod
    def quadratic_delta(a, y, delta, slope):
        """delta_L = (a_L - y) * sigma'(z_L), for sigmoid outputs on the quadratic cost."""
        np.subtract(a, y, out=delta)
        sigmoid_slope(a, slope)
        delta *= slope

    @staticmethod
    def difference_delta(a, y, delta, slope):
        """delta_L = a_L - y: cross-entropy on sigmoid outputs, and the log-likelihood on softmax."""
        np.subtract(a, y, out=delta)

    def evaluate(self, x, y):
        return int(np.count_nonzero(self.forward(x).argmax(axis=1) == y))

    def cost(self, x, y):
        if self.cost_name == "quadratic":
            diff = self.forward(x) - one_hot(y, self.sizes[-1], self.dtype)
            return float(0.5 * np.einsum("ij,ij->", diff, diff, dtype=np.float64) / len(x))
        a = self.forward(x).astype(np.float64)
        if self.cost_name == "log_likelihood":
            return float(-np.log(a[np.arange(len(y)), y]).mean())
        targets = one_hot(y, self.sizes[-1], np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):  # as network2.py: 0 ln 0 counts 0
            terms = np.nan_to_num(-targets * np.log(a) - (1 - targets) * np.log(1 - a))
        return float(terms.sum() / len(x))

    def parameters(self):
        params = []
        for w, b in zip(self.weights, self.biases):
            params += [w.astype(np.float64), b.astype(np.float64)]
        return params

    def synchronize(self):
        pass
