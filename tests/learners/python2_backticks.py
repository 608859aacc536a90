# expect: exit 2
# shows: is Python 2 (print statement at line 13): run it through 2to3
import numpy as np


class Network:
    def __init__(self, sizes):
        self.sizes = sizes
        self.weights = [np.random.randn(y, x) for x, y in zip(sizes[:-1], sizes[1:])]
        self.biases = [np.random.randn(y, 1) for y in sizes[1:]]

    def report(self):
        print "layers: " + `self.sizes`

    def feedforward(self, a):
        for b, w in zip(self.biases, self.weights):
            a = 1.0 / (1.0 + np.exp(-(np.dot(w, a) + b)))
        return a
