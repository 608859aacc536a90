"""Nielsen's network.py as he wrote it: backprop one example at a time.

Each example is a column vector; the gradients of a mini-batch are summed
example by example before the SGD step. This is the classical baseline that
every other implementation is measured against.

Chapter 3's settings follow network2.py: the network picks its neurons, its
output delta and its update once, when it is built (impls.Network has the
equations), so that chapter 1's network runs exactly chapter 1's code.
"""

import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_prime(z):
    return sigmoid(z) * (1 - sigmoid(z))


def tanh_prime(z):
    return 1 - np.tanh(z) ** 2


def relu(z):
    return np.maximum(z, 0)


def relu_prime(z):
    return (z > 0).astype(z.dtype)


def softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


NEURONS = {"sigmoid": (sigmoid, sigmoid_prime), "tanh": (np.tanh, tanh_prime), "relu": (relu, relu_prime)}


# The costs as network2.py has them: C of one example's output a and one-hot target y, and the
# output error delta_L from z_L, a and y.
def quadratic_cost(a, y):
    diff = a - y
    return 0.5 * float(diff @ diff)


def quadratic_delta(z, a, y):
    return (a - y) * sigmoid_prime(z)


def cross_entropy_cost(a, y):
    with np.errstate(divide="ignore", invalid="ignore"):  # as network2.py: 0 ln 0 counts 0
        return float(np.sum(np.nan_to_num(-y * np.log(a) - (1 - y) * np.log(1 - a))))


def log_likelihood_cost(a, y):
    return -float(np.log(a[np.argmax(y)]))


def difference_delta(z, a, y):
    """Cross-entropy on sigmoid outputs and the log-likelihood on softmax: sigma'(z) cancels."""
    return a - y


COSTS = {
    "quadratic": (quadratic_cost, quadratic_delta),
    "cross_entropy": (cross_entropy_cost, difference_delta),
    "log_likelihood": (log_likelihood_cost, difference_delta),
}


class NumpyLoop:
    devices = ("cpu",)
    framework = "numpy"

    def __init__(
        self, params, train_x, train_y, device="cpu", dtype="float32",
        cost="quadratic", output="sigmoid", lmbda=0.0, activation="sigmoid", momentum=0.0,
    ):  # fmt: skip
        self.dtype = np.dtype(dtype)
        self.weights = [w.astype(self.dtype) for w in params[0::2]]
        self.biases = [b.astype(self.dtype).reshape(-1, 1) for b in params[1::2]]
        # One column vector per example, as in Nielsen's mnist_loader.
        self.inputs = [x.reshape(-1, 1) for x in train_x.astype(self.dtype)]
        self.targets = self.vectorized_results(train_y)

        self.activation, self.activation_prime = NEURONS[activation]
        # One neuron per layer: the hidden layers' activation, then the output's.
        output_activation = softmax if output == "softmax" else sigmoid
        self.neurons = [self.activation] * (len(self.weights) - 1) + [output_activation]
        self.example_cost, self.output_delta = COSTS["log_likelihood" if output == "softmax" else cost]
        self.lmbda, self.momentum, self.n = lmbda, momentum, len(train_x)
        if momentum:
            self.velocity_w = [np.zeros_like(w) for w in self.weights]
            self.velocity_b = [np.zeros_like(b) for b in self.biases]
            self.update_mini_batch = self.momentum_update
        elif lmbda:
            self.update_mini_batch = self.regularised_update

    def vectorized_results(self, labels):
        """One-hot column vectors, as Nielsen's mnist_loader makes them."""
        n_out = self.weights[-1].shape[0]
        return [np.eye(n_out, dtype=self.dtype)[:, [label]] for label in labels]

    def place(self, x, y):
        return [row.reshape(-1, 1) for row in x.astype(self.dtype)], list(y)

    def feedforward(self, a):
        with np.errstate(over="ignore"):
            for b, w, neuron in zip(self.biases, self.weights, self.neurons):
                a = neuron(np.dot(w, a) + b)
        return a

    def train_epoch(self, order, batch_size, eta):
        with np.errstate(over="ignore"):  # exp(-z) -> inf for very negative z gives sigmoid 0, as it should
            for k in range(0, len(order), batch_size):
                self.update_mini_batch(order[k : k + batch_size], eta)

    def update_mini_batch(self, batch, eta):
        nabla_b, nabla_w = self.summed_backprop((self.inputs[i], self.targets[i]) for i in batch)
        step = self.dtype.type(eta / len(batch))
        self.weights = [w - step * nw for w, nw in zip(self.weights, nabla_w)]
        self.biases = [b - step * nb for b, nb in zip(self.biases, nabla_b)]

    def regularised_update(self, batch, eta):
        """network2.py's update: the weights decay by (1 - eta*lmbda/n), the biases do not."""
        nabla_b, nabla_w = self.summed_backprop((self.inputs[i], self.targets[i]) for i in batch)
        step = self.dtype.type(eta / len(batch))
        decay = self.dtype.type(1 - eta * self.lmbda / self.n)
        self.weights = [decay * w - step * nw for w, nw in zip(self.weights, nabla_w)]
        self.biases = [b - step * nb for b, nb in zip(self.biases, nabla_b)]

    def momentum_update(self, batch, eta):
        """v <- mu v - (eta*lmbda/n) w - (eta/m) nabla_w, w <- w + v; biases alike, without the L2 term."""
        nabla_b, nabla_w = self.summed_backprop((self.inputs[i], self.targets[i]) for i in batch)
        step = self.dtype.type(eta / len(batch))
        mu, shrink = self.dtype.type(self.momentum), self.dtype.type(eta * self.lmbda / self.n)
        self.velocity_w = [
            mu * v - shrink * w - step * nw for v, w, nw in zip(self.velocity_w, self.weights, nabla_w)
        ]
        self.velocity_b = [mu * v - step * nb for v, nb in zip(self.velocity_b, nabla_b)]
        self.weights = [w + v for w, v in zip(self.weights, self.velocity_w)]
        self.biases = [b + v for b, v in zip(self.biases, self.velocity_b)]

    def summed_backprop(self, examples):
        nabla_b = [np.zeros(b.shape, self.dtype) for b in self.biases]
        nabla_w = [np.zeros(w.shape, self.dtype) for w in self.weights]
        for x, y in examples:
            delta_nabla_b, delta_nabla_w = self.backprop(x, y)
            nabla_b = [nb + dnb for nb, dnb in zip(nabla_b, delta_nabla_b)]
            nabla_w = [nw + dnw for nw, dnw in zip(nabla_w, delta_nabla_w)]
        return nabla_b, nabla_w

    def gradients(self, x, y):
        """Sums over the examples of dC/dW and dC/db, as [dW1, db1, dW2, db2, ...]."""
        with np.errstate(over="ignore"):
            nabla_b, nabla_w = self.summed_backprop(zip(x, self.vectorized_results(y)))
        return [g for nw, nb in zip(nabla_w, nabla_b) for g in (nw, nb[:, 0])]

    def backprop(self, x, y):
        nabla_b = [None] * len(self.biases)
        nabla_w = [None] * len(self.weights)
        activation = x
        activations = [x]
        zs = []
        for b, w, neuron in zip(self.biases, self.weights, self.neurons):
            z = np.dot(w, activation) + b
            zs.append(z)
            activation = neuron(z)
            activations.append(activation)
        delta = self.output_delta(zs[-1], activations[-1], y)
        nabla_b[-1] = delta
        nabla_w[-1] = np.dot(delta, activations[-2].transpose())
        for layer in range(2, len(self.weights) + 1):
            delta = np.dot(self.weights[-layer + 1].transpose(), delta) * self.activation_prime(zs[-layer])
            nabla_b[-layer] = delta
            nabla_w[-layer] = np.dot(delta, activations[-layer - 1].transpose())
        return nabla_b, nabla_w

    def forward(self, x):
        return [self.feedforward(xi) for xi in x]

    def evaluate(self, x, y):
        return sum(int(np.argmax(self.feedforward(xi)) == yi) for xi, yi in zip(x, y))

    def cost(self, x, y):
        n_out = self.weights[-1].shape[0]
        total = 0.0
        for xi, yi in zip(x, y):
            total += self.example_cost(self.feedforward(xi)[:, 0], np.eye(n_out)[yi])
        return total / len(x)

    def parameters(self):
        params = []
        for w, b in zip(self.weights, self.biases):
            params += [w.astype(np.float64), b[:, 0].astype(np.float64)]
        return params

    def synchronize(self):
        pass
