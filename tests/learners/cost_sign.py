# expect: fail 1
# shows: they are exactly the gradients of the cross-entropy cost, −Σ[y ln a + (1 − y) ln(1 − a)] (numpy_loop's), so the output delta is right and CrossEntropy.value is not that cost
# shows: PASS 3.
# Cross-entropy from the chapter 3 notes, typed in from memory. The cost is only printed while
# training, the deltas do the work. (Sign slip in value(): the first term lost its minus.)
import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_prime(z):
    return sigmoid(z) * (1 - sigmoid(z))


class CrossEntropy:
    def value(self, a, y):
        return np.sum(y * np.log(a) - (1 - y) * np.log(1 - a))

    def delta(self, z, a, y):
        return a - y


class Network:
    def __init__(self, sizes, cost=CrossEntropy()):
        self.n_layers = len(sizes)
        self.cost = cost
        self.weights = [np.random.randn(j, k) / np.sqrt(k) for k, j in zip(sizes[:-1], sizes[1:])]
        self.biases = [np.random.randn(j, 1) for j in sizes[1:]]

    def feedforward(self, a):
        for w, b in zip(self.weights, self.biases):
            a = sigmoid(w @ a + b)
        return a

    def update_mini_batch(self, mini_batch, eta):
        sum_b = [np.zeros_like(b) for b in self.biases]
        sum_w = [np.zeros_like(w) for w in self.weights]
        for x, y in mini_batch:
            gb, gw = self.backprop(x, y)
            sum_b = [s + g for s, g in zip(sum_b, gb)]
            sum_w = [s + g for s, g in zip(sum_w, gw)]
        self.weights = [w - eta / len(mini_batch) * g for w, g in zip(self.weights, sum_w)]
        self.biases = [b - eta / len(mini_batch) * g for b, g in zip(self.biases, sum_b)]

    def backprop(self, x, y):
        activations, zs = [x], []
        for w, b in zip(self.weights, self.biases):
            zs.append(w @ activations[-1] + b)
            activations.append(sigmoid(zs[-1]))
        delta = self.cost.delta(zs[-1], activations[-1], y)
        gb, gw = [delta], [delta @ activations[-2].T]
        for l in range(2, self.n_layers):
            delta = (self.weights[-l + 1].T @ delta) * sigmoid_prime(zs[-l])
            gb.insert(0, delta)
            gw.insert(0, delta @ activations[-l - 1].T)
        return gb, gw

    def total_cost(self, data):
        return sum(self.cost.value(self.feedforward(x), y) for x, y in data) / len(data)
