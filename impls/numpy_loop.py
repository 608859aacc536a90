"""Nielsen's network.py as he wrote it: backprop one example at a time.

Each example is a column vector; the gradients of a mini-batch are summed
example by example before the SGD step. This is the classical baseline that
every other implementation is measured against.
"""

import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_prime(z):
    return sigmoid(z) * (1 - sigmoid(z))


class NumpyLoop:
    devices = ("cpu",)
    framework = "numpy"

    def __init__(self, params, train_x, train_y, device="cpu", dtype="float32"):
        self.dtype = np.dtype(dtype)
        self.weights = [w.astype(self.dtype) for w in params[0::2]]
        self.biases = [b.astype(self.dtype).reshape(-1, 1) for b in params[1::2]]
        # One column vector per example, as in Nielsen's mnist_loader.
        self.inputs = [x.reshape(-1, 1) for x in train_x.astype(self.dtype)]
        self.targets = self.vectorized_results(train_y)

    def vectorized_results(self, labels):
        """One-hot column vectors, as Nielsen's mnist_loader makes them."""
        n_out = self.weights[-1].shape[0]
        return [np.eye(n_out, dtype=self.dtype)[:, [label]] for label in labels]

    def place(self, x, y):
        return [row.reshape(-1, 1) for row in x.astype(self.dtype)], list(y)

    def feedforward(self, a):
        with np.errstate(over="ignore"):
            for b, w in zip(self.biases, self.weights):
                a = sigmoid(np.dot(w, a) + b)
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
        for b, w in zip(self.biases, self.weights):
            z = np.dot(w, activation) + b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        delta = (activations[-1] - y) * sigmoid_prime(zs[-1])
        nabla_b[-1] = delta
        nabla_w[-1] = np.dot(delta, activations[-2].transpose())
        for layer in range(2, len(self.weights) + 1):
            delta = np.dot(self.weights[-layer + 1].transpose(), delta) * sigmoid_prime(zs[-layer])
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
            diff = self.feedforward(xi)[:, 0] - np.eye(n_out)[yi]
            total += 0.5 * float(diff @ diff)
        return total / len(x)

    def parameters(self):
        params = []
        for w, b in zip(self.weights, self.biases):
            params += [w.astype(np.float64), b[:, 0].astype(np.float64)]
        return params

    def synchronize(self):
        pass
