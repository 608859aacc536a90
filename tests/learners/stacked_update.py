# expect: pass
# shows: update_mini_batch takes each example as flat vectors, x (784,) and y (10,), not the book's columns
# shows: PASS 3.
# Vectorised: update_mini_batch stacks the mini-batch's images into one 784 x m matrix and runs
# backprop once on it. My loader hands out flat 784-vectors, so np.stack(..., axis=1) makes columns.
import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


class Network:
    def __init__(self, sizes):
        self.sizes = sizes
        self.biases = [np.random.randn(n, 1) for n in sizes[1:]]
        self.weights = [np.random.randn(n, m) for m, n in zip(sizes[:-1], sizes[1:])]

    def feedforward(self, a):
        for b, w in zip(self.biases, self.weights):
            a = sigmoid(w @ a + b)
        return a

    def update_mini_batch(self, mini_batch, eta):
        X = np.stack([x for x, y in mini_batch], axis=1)
        Y = np.stack([y for x, y in mini_batch], axis=1)
        nabla_b, nabla_w = self.backprop(X, Y)
        m = len(mini_batch)
        self.weights = [w - eta / m * nw for w, nw in zip(self.weights, nabla_w)]
        self.biases = [b - eta / m * nb.sum(axis=1, keepdims=True) for b, nb in zip(self.biases, nabla_b)]

    def backprop(self, X, Y):
        """X: 784 x m, Y: 10 x m; nabla_b is per example (n x m), nabla_w summed over them."""
        acts, zs = [X], []
        for b, w in zip(self.biases, self.weights):
            zs.append(w @ acts[-1] + b)
            acts.append(sigmoid(zs[-1]))
        delta = (acts[-1] - Y) * acts[-1] * (1 - acts[-1])
        nabla_b, nabla_w = [delta], [delta @ acts[-2].T]
        for l in range(2, len(self.sizes)):
            delta = (self.weights[-l + 1].T @ delta) * acts[-l] * (1 - acts[-l])
            nabla_b.insert(0, delta)
            nabla_w.insert(0, delta @ acts[-l - 1].T)
        return nabla_b, nabla_w
