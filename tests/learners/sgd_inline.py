# expect: pass
# shows: class Network has no update_mini_batch method that the tool recognises (its methods: feedforward, backprop, train, accuracy)
# shows: SKIP 2. one update_mini_batch against the SGD step from its own backprop: left out
# shows: 1 of 1 checks passed, 2 skipped
# No update_mini_batch: train() takes one SGD step per example, straight from backprop, as I
# understood "stochastic" at first. Row vectors in, the weights (n_in, n_out), like Keras.
import numpy as np
from random import shuffle


def sig(t):
    return 1 / (1 + np.exp(-t))


class Network:
    def __init__(self, sizes):
        self.L = len(sizes)
        self.weights = [np.random.normal(0, 1, (m, n)) for m, n in zip(sizes, sizes[1:])]
        self.biases = [np.random.normal(0, 1, (1, n)) for n in sizes[1:]]

    def feedforward(self, x):
        a = x.reshape(1, -1)
        for W, b in zip(self.weights, self.biases):
            a = sig(a @ W + b)
        return a

    def backprop(self, x, y):
        acts = [x.reshape(1, -1)]
        for W, b in zip(self.weights, self.biases):
            acts.append(sig(acts[-1] @ W + b))
        d = (acts[-1] - y) * acts[-1] * (1 - acts[-1])   # y is a row: (10,)
        gW, gb = [], []
        for l in range(self.L - 1, 0, -1):
            gW.insert(0, acts[l - 1].T @ d)
            gb.insert(0, d)
            d = (d @ self.weights[l - 1].T) * acts[l - 1] * (1 - acts[l - 1])
        return gW, gb

    def train(self, data, epochs, eta):
        for e in range(epochs):
            shuffle(data)
            for x, y in data:
                gW, gb = self.backprop(x, y)
                self.weights = [W - eta * g for W, g in zip(self.weights, gW)]
                self.biases = [b - eta * g for b, g in zip(self.biases, gb)]
            print("epoch", e, self.accuracy(data[:1000]))

    def accuracy(self, data):
        return np.mean([np.argmax(self.feedforward(x)) == np.argmax(y) for x, y in data])


net = Network([784, 30, 10])
X = np.load("mnist_x.npy")
net.train(list(zip(X, np.eye(10)[np.load("mnist_y.npy")])), 3, 0.1)
