# expect: exit 2
# shows: --init "activation='sigmoid'"
# with: --init "activation='sigmoid'"
# expect: pass
# The activation is picked by name from a table built in the constructor, never compared with `==`,
# so the suggested value must be read from the table's keys.
import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_prime(z):
    return sigmoid(z) * (1.0 - sigmoid(z))


def relu(z):
    return np.maximum(z, 0.0)


def relu_prime(z):
    return (z > 0).astype(float)


class Network(object):
    def __init__(self, sizes, activation):
        self.num_layers = len(sizes)
        self.biases = [np.random.randn(y, 1) for y in sizes[1:]]
        self.weights = [np.random.randn(y, x) for x, y in zip(sizes[:-1], sizes[1:])]
        table = dict(zip(["relu", "sigmoid"], [(relu, relu_prime), (sigmoid, sigmoid_prime)]))
        self.f, self.f_prime = table[activation]

    def feedforward(self, a):
        for b, w in zip(self.biases, self.weights):
            a = self.f(np.dot(w, a) + b)
        return a

    def update_mini_batch(self, mini_batch, eta):
        sum_b = [np.zeros(b.shape) for b in self.biases]
        sum_w = [np.zeros(w.shape) for w in self.weights]
        for x, y in mini_batch:
            db, dw = self.backprop(x, y)
            sum_b = [s + d for s, d in zip(sum_b, db)]
            sum_w = [s + d for s, d in zip(sum_w, dw)]
        m = len(mini_batch)
        self.weights = [w - eta / m * s for w, s in zip(self.weights, sum_w)]
        self.biases = [b - eta / m * s for b, s in zip(self.biases, sum_b)]

    def backprop(self, x, y):
        db = [None] * (self.num_layers - 1)
        dw = [None] * (self.num_layers - 1)
        activations, zs = [x], []
        for b, w in zip(self.biases, self.weights):
            zs.append(np.dot(w, activations[-1]) + b)
            activations.append(self.f(zs[-1]))
        delta = (activations[-1] - y) * self.f_prime(zs[-1])
        db[-1], dw[-1] = delta, np.dot(delta, activations[-2].T)
        for l in range(2, self.num_layers):
            delta = np.dot(self.weights[-l + 1].T, delta) * self.f_prime(zs[-l])
            db[-l], dw[-l] = delta, np.dot(delta, activations[-l - 1].T)
        return db, dw
