# expect: exit 2
# shows: needs `activator`, `derivative` beside the layer sizes; pass them (a Python expression in your file's namespace): --init activator=sigmoid --init derivative=sigmoid_prime
# with: --init activator=sigmoid --init derivative=sigmoid_prime
# expect: pass
# shows: feedforward as `feed_forward`, update_mini_batch, backprop as `backpropagate`
import numpy as np
from numpy import dot


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def sigmoid_prime(z):
    return sigmoid(z) * (1 - sigmoid(z))


class Network:
    def __init__(self, sizes, activator, derivative):
        self.sizes = sizes
        self.act = activator
        self.act_prime = derivative
        self.biases = [np.random.randn(y, 1) for y in sizes[1:]]
        self.weights = [np.random.randn(y, x) for x, y in zip(sizes[:-1], sizes[1:])]

    def feed_forward(self, a):
        for b, w in zip(self.biases, self.weights):
            a = self.act(dot(w, a) + b)
        return a

    def update_mini_batch(self, mini_batch, learning_rate):
        m = len(mini_batch)
        sum_b = [np.zeros(b.shape) for b in self.biases]
        sum_w = [np.zeros(w.shape) for w in self.weights]
        for x, y in mini_batch:
            d_b, d_w = self.backpropagate(x, y)
            sum_b = [s + d for s, d in zip(sum_b, d_b)]
            sum_w = [s + d for s, d in zip(sum_w, d_w)]
        self.biases = [b - learning_rate / m * s for b, s in zip(self.biases, sum_b)]
        self.weights = [w - learning_rate / m * s for w, s in zip(self.weights, sum_w)]

    def backpropagate(self, x, y):
        a, activations, zs = x, [x], []
        for b, w in zip(self.biases, self.weights):
            z = dot(w, a) + b
            zs.append(z)
            a = self.act(z)
            activations.append(a)
        d_b = [np.zeros(b.shape) for b in self.biases]
        d_w = [np.zeros(w.shape) for w in self.weights]
        delta = (activations[-1] - y) * self.act_prime(zs[-1])
        d_b[-1] = delta
        d_w[-1] = dot(delta, activations[-2].T)
        for i in range(2, len(self.sizes)):
            delta = dot(self.weights[-i + 1].T, delta) * self.act_prime(zs[-i])
            d_b[-i] = delta
            d_w[-i] = dot(delta, activations[-i - 1].T)
        return d_b, d_w

    def train(self, data, epochs, batch_size, learning_rate):
        for _ in range(epochs):
            np.random.shuffle(data)
            for k in range(0, len(data), batch_size):
                self.update_mini_batch(data[k:k + batch_size], learning_rate)
