# expect: pass
# shows: No module named 'progressbar'
"""Helpers imported from the package the file sits in, run from the folder above it, and a
progress bar this environment does not have, used only while training over epochs."""
import numpy as np
import progressbar

import src.bp as bp
from src.activation import sigmoid, sigmoid_prime


class Network:
    def __init__(self, sizes):
        self.sizes = sizes
        self.weights = [np.random.randn(y, x) for x, y in zip(sizes[:-1], sizes[1:])]
        self.biases = [np.random.randn(y, 1) for y in sizes[1:]]

    def feedforward(self, a):
        for w, b in zip(self.weights, self.biases):
            a = sigmoid(np.dot(w, a) + b)
        return a

    def train(self, data, epochs, batch_size, eta):
        for epoch in progressbar.progressbar(range(epochs)):
            for k in range(0, len(data), batch_size):
                self.update_mini_batch(data[k:k + batch_size], eta)

    def update_mini_batch(self, mini_batch, eta):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        for x, y in mini_batch:
            db, dw = self.backprop(x, y)
            nabla_b = [n + d for n, d in zip(nabla_b, db)]
            nabla_w = [n + d for n, d in zip(nabla_w, dw)]
        self.weights = [w - eta / len(mini_batch) * n for w, n in zip(self.weights, nabla_w)]
        self.biases = [b - eta / len(mini_batch) * n for b, n in zip(self.biases, nabla_b)]

    def backprop(self, x, y):
        activations, zs = bp.forward_pass(self.weights, self.biases, x)
        delta = bp.output_error(activations[-1], zs[-1], y)
        nabla_b, nabla_w = [None] * len(self.weights), [None] * len(self.weights)
        nabla_b[-1], nabla_w[-1] = delta, np.dot(delta, activations[-2].T)
        for l in range(2, len(self.sizes)):
            delta = np.dot(self.weights[-l + 1].T, delta) * sigmoid_prime(zs[-l])
            nabla_b[-l], nabla_w[-l] = delta, np.dot(delta, activations[-l - 1].T)
        return nabla_b, nabla_w
