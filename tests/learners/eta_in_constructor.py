# expect: pass
# shows: update_mini_batch (filled in: eta set as self.learning_rate before each call)
# shows: built as Network(layers, learning_rate=3.0)
import numpy as np
import random


class Network:
    def __init__(self, layers, learning_rate):
        self.layers = layers
        self.learning_rate = learning_rate
        self.weights = [np.random.randn(layers[i + 1], layers[i]) for i in range(len(layers) - 1)]
        self.biases = [np.random.randn(n, 1) for n in layers[1:]]

    def sigmoid(self, z):
        return 1.0 / (1.0 + np.exp(-z))

    def sigmoid_prime(self, z):
        return self.sigmoid(z) * (1 - self.sigmoid(z))

    def feedforward(self, a):
        for w, b in zip(self.weights, self.biases):
            a = self.sigmoid(w @ a + b)
        return a

    def backprop(self, x, y):
        grad_w = [np.zeros(w.shape) for w in self.weights]
        grad_b = [np.zeros(b.shape) for b in self.biases]
        activations, zs = [x], []
        for w, b in zip(self.weights, self.biases):
            zs.append(w @ activations[-1] + b)
            activations.append(self.sigmoid(zs[-1]))
        error = (activations[-1] - y) * self.sigmoid_prime(zs[-1])
        for l in range(len(self.weights) - 1, -1, -1):
            grad_w[l] = error @ activations[l].T
            grad_b[l] = error
            if l > 0:
                error = (self.weights[l].T @ error) * self.sigmoid_prime(zs[l - 1])
        return grad_b, grad_w

    def update_mini_batch(self, batch):
        sum_w = [np.zeros(w.shape) for w in self.weights]
        sum_b = [np.zeros(b.shape) for b in self.biases]
        for x, y in batch:
            gb, gw = self.backprop(x, y)
            sum_w = [s + g for s, g in zip(sum_w, gw)]
            sum_b = [s + g for s, g in zip(sum_b, gb)]
        self.weights = [w - self.learning_rate / len(batch) * s for w, s in zip(self.weights, sum_w)]
        self.biases = [b - self.learning_rate / len(batch) * s for b, s in zip(self.biases, sum_b)]

    def train(self, data, epochs, batch_size):
        for epoch in range(epochs):
            random.shuffle(data)
            for i in range(0, len(data), batch_size):
                self.update_mini_batch(data[i:i + batch_size])


net = Network([784, 30, 10], 3.0)
