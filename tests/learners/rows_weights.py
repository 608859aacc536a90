# expect: fail 2
# shows: note: Network takes each example as rows, x (1, 784) and y (1, 10)
"""Weights stored n_in x n_out, examples as rows: a @ W + b."""
import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


class Network:
    def __init__(self, sizes):
        self.weights = [np.random.randn(n_in, n_out) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
        self.biases = [np.random.randn(1, n_out) for n_out in sizes[1:]]

    def feedforward(self, a):
        for w, b in zip(self.weights, self.biases):
            a = sigmoid(a @ w + b)
        return a

    def update_mini_batch(self, mini_batch, eta):
        for x, y in mini_batch:
            self.weights = [w - eta * g for w, g in zip(self.weights, self.backprop(x, y)[1])]

    def backprop(self, x, y):
        a1 = sigmoid(x @ self.weights[0] + self.biases[0])
        a2 = sigmoid(a1 @ self.weights[1] + self.biases[1])
        d2 = (a2 - y) * a2 * (1 - a2)
        d1 = (d2 @ self.weights[1].T) * a1 * (1 - a1)
        return [d1, d2], [x.T @ d1, a1.T @ d2]
