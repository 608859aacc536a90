# with: --timeout 2
# expect: exit 2
# shows: loading `from helper import sigmoid` has not returned after 2 s (it was running this line)
"""Its sigmoid comes from a helper that, imported, trains without end."""
import numpy as np


from helper import sigmoid


def sigmoid_of_the_book(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_prime(z):
    s = sigmoid(z)
    return s * (1 - s)


class Network(object):
    def __init__(self, *sizes):
        self.layers = len(sizes)
        self.biases = [np.random.randn(n, 1) for n in sizes[1:]]
        self.weights = [np.random.randn(n, m) for m, n in zip(sizes[:-1], sizes[1:])]

    def feedforward(self, a):
        for w, b in zip(self.weights, self.biases):
            a = sigmoid(w @ a + b)
        return a

    def update_mini_batch(self, batch, eta):
        grad_b = [np.zeros_like(b) for b in self.biases]
        grad_w = [np.zeros_like(w) for w in self.weights]
        for x, y in batch:
            db, dw = self.backprop(x, y)
            grad_b = [g + d for g, d in zip(grad_b, db)]
            grad_w = [g + d for g, d in zip(grad_w, dw)]
        step = eta / len(batch)
        self.weights = [w - step * g for w, g in zip(self.weights, grad_w)]
        self.biases = [b - step * g for b, g in zip(self.biases, grad_b)]

    def backprop(self, x, y):
        activations, zs = [x], []
        for w, b in zip(self.weights, self.biases):
            zs.append(w @ activations[-1] + b)
            activations.append(sigmoid(zs[-1]))
        delta = (activations[-1] - y) * sigmoid_prime(zs[-1])
        db, dw = [None] * len(self.weights), [None] * len(self.weights)
        db[-1], dw[-1] = delta, delta @ activations[-2].T
        for l in range(2, self.layers):
            delta = (self.weights[-l + 1].T @ delta) * sigmoid_prime(zs[-l])
            db[-l], dw[-l] = delta, delta @ activations[-l - 1].T
        return db, dw


if __name__ == "__main__":
    net = Network(784, 30, 10)
