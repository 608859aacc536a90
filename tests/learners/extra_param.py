# expect: exit 2
# shows: backprop(x, y, i) needs a value for `i`, which backprop(x, y) does not have; give one: --arg i=0
# with: --arg i=0
# expect: pass
import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


class Network:
    def __init__(self, sizes):
        self.sizes = sizes
        self.biases = [np.random.randn(y, 1) for y in sizes[1:]]
        self.weights = [np.random.randn(y, x) for x, y in zip(sizes[:-1], sizes[1:])]
        self.verbose = False

    def feedforward(self, a):
        for b, w in zip(self.biases, self.weights):
            a = sigmoid(np.dot(w, a) + b)
        return a

    def update_mini_batch(self, mini_batch, eta):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        for i, (x, y) in enumerate(mini_batch):
            delta_nabla_b, delta_nabla_w = self.backprop(x, y, i)
            nabla_b = [nb + dnb for nb, dnb in zip(nabla_b, delta_nabla_b)]
            nabla_w = [nw + dnw for nw, dnw in zip(nabla_w, delta_nabla_w)]
        self.weights = [w - (eta / len(mini_batch)) * nw for w, nw in zip(self.weights, nabla_w)]
        self.biases = [b - (eta / len(mini_batch)) * nb for b, nb in zip(self.biases, nabla_b)]

    def backprop(self, x, y, i):
        if self.verbose:
            print("example", i)
        activations, zs = [x], []
        for b, w in zip(self.biases, self.weights):
            zs.append(np.dot(w, activations[-1]) + b)
            activations.append(sigmoid(zs[-1]))
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        delta = (activations[-1] - y) * activations[-1] * (1 - activations[-1])
        nabla_b[-1], nabla_w[-1] = delta, np.dot(delta, activations[-2].T)
        for l in range(2, len(self.sizes)):
            a = activations[-l]
            delta = np.dot(self.weights[-l + 1].T, delta) * a * (1 - a)
            nabla_b[-l], nabla_w[-l] = delta, np.dot(delta, activations[-l - 1].T)
        return nabla_b, nabla_w
