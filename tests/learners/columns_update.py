# expect: exit 2
# shows: update_mini_batch takes arrays x, y with the examples as columns; the tool needs the book's convention: update_mini_batch(mini_batch, eta) over a list of (x, y) column pairs
"""A matrix rewrite: the whole mini-batch as one array, one example per column."""
import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


class Network:
    def __init__(self, sizes):
        self.L = len(sizes)
        self.weights = [np.random.randn(y, x) for x, y in zip(sizes[:-1], sizes[1:])]
        self.biases = [np.random.randn(y, 1) for y in sizes[1:]]

    def feedforward(self, a):
        for w, b in zip(self.weights, self.biases):
            a = sigmoid(w @ a + b)
        return a

    def update_mini_batch(self, x, y, eta, m, i):
        activations = [x]
        for w, b in zip(self.weights, self.biases):
            activations.append(sigmoid(w @ activations[-1] + b))
        delta = (activations[-1] - y) * activations[-1] * (1 - activations[-1])
        for l in range(1, self.L):
            grad_w = delta @ activations[-l - 1].T
            grad_b = delta.sum(axis=1, keepdims=True)
            a = activations[-l - 1]
            new_delta = (self.weights[-l].T @ delta) * a * (1 - a)
            self.weights[-l] -= eta / m * grad_w
            self.biases[-l] -= eta / m * grad_b
            delta = new_delta
