# expect: pass
# shows: note: cost=QuadraticCost(): the file's quadratic cost, chapter 1's
# shows: built as Network(layers, cost=QuadraticCost())
# with: --init "cost=QuadraticCost()"
# expect: pass
# with: --init "cost=CrossEntropyCost()"
# expect: pass
# shows: matches central differences of the cross-entropy, from your CrossEntropyCost.fn
import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_prime(z):
    return sigmoid(z) * (1.0 - sigmoid(z))


class QuadraticCost:
    def fn(self, a, y):
        return 0.5 * np.linalg.norm(a - y) ** 2

    def delta(self, z, a, y):
        return (a - y) * sigmoid_prime(z)


class CrossEntropyCost:
    def fn(self, a, y):
        return np.sum(np.nan_to_num(-y * np.log(a) - (1 - y) * np.log(1 - a)))

    def delta(self, z, a, y):
        return a - y


class Network:
    def __init__(self, layers, cost):
        self.layers = layers
        self.cost = cost
        self.weights = [np.random.randn(n_out, n_in) for n_in, n_out in zip(layers[:-1], layers[1:])]
        self.biases = [np.random.randn(n_out, 1) for n_out in layers[1:]]

    def feedforward(self, a):
        for w, b in zip(self.weights, self.biases):
            a = sigmoid(np.dot(w, a) + b)
        return a

    def update_mini_batch(self, mini_batch, eta):
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        for x, y in mini_batch:
            dnb, dnw = self.backprop(x, y)
            nabla_w = [nw + d for nw, d in zip(nabla_w, dnw)]
            nabla_b = [nb + d for nb, d in zip(nabla_b, dnb)]
        self.weights = [w - eta / len(mini_batch) * nw for w, nw in zip(self.weights, nabla_w)]
        self.biases = [b - eta / len(mini_batch) * nb for b, nb in zip(self.biases, nabla_b)]

    def backprop(self, x, y):
        activations, zs = [x], []
        for w, b in zip(self.weights, self.biases):
            zs.append(np.dot(w, activations[-1]) + b)
            activations.append(sigmoid(zs[-1]))
        nabla_w = [None] * len(self.weights)
        nabla_b = [None] * len(self.biases)
        delta = self.cost.delta(zs[-1], activations[-1], y)
        nabla_b[-1] = delta
        nabla_w[-1] = np.dot(delta, activations[-2].T)
        for l in range(2, len(self.layers)):
            delta = np.dot(self.weights[-l + 1].T, delta) * sigmoid_prime(zs[-l])
            nabla_b[-l] = delta
            nabla_w[-l] = np.dot(delta, activations[-l - 1].T)
        return nabla_b, nabla_w
