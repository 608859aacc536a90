# expect: pass
# shows: (filled in: nbatch=len(mini_batch))
# shows: left out; the gradients come from one-example updates of update_mini_batch instead
# The update is told the batch size instead of taking len(), and `backpropagate` hands back the
# activations and the deltas, which the update turns into weight gradients with np.outer.
import random as rnd

import numpy as np


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def sigmoid_prime(x):
    return sigmoid(x) * (1 - sigmoid(x))


class Network:
    def __init__(self, layers):
        self.num_layers = len(layers)
        self.W = [np.random.randn(i, j) for i, j in zip(layers[1:], layers[:-1])]
        self.b = [np.random.randn(i, 1) for i in layers[1:]]

    def train(self, data, epochs, nbatch, eta):
        for e in range(epochs):
            rnd.shuffle(data)
            for k in range(0, len(data), nbatch):
                self.update_mini_batch(data[k : k + nbatch], nbatch, eta)

    def update_mini_batch(self, data, nbatch, eta):
        W_delta = [np.zeros(W.shape) for W in self.W]
        b_delta = [np.zeros(b.shape) for b in self.b]
        for x, y in data:
            a, deltas = self.backpropagate(x, y)
            W_delta = [Wd + np.outer(d, a_in) for Wd, d, a_in in zip(W_delta, deltas, a[:-1])]
            b_delta = [bd + d for bd, d in zip(b_delta, deltas)]
        self.W = [W - (eta / nbatch) * Wd for W, Wd in zip(self.W, W_delta)]
        self.b = [b - (eta / nbatch) * bd for b, bd in zip(self.b, b_delta)]

    def backpropagate(self, x, y):
        a, z = self.feedforward(x)
        delta = [None] * (self.num_layers - 1)
        delta[-1] = (a[-1] - y) * sigmoid_prime(z[-1])
        for ix in range(2, self.num_layers):
            delta[-ix] = np.dot(self.W[-ix + 1].T, delta[-ix + 1]) * sigmoid_prime(z[-ix])
        return a, delta

    def feedforward(self, x):
        a, z = [x], []
        for W, b in zip(self.W, self.b):
            z.append(np.dot(W, a[-1]) + b)
            a.append(sigmoid(z[-1]))
        return a, z
