# expect: exit 2
# shows: update_mini_batch(mini_batch, targets_batch, eta) passes mini_batch and targets_batch as they are to backprop: it takes the mini-batch's inputs and their labels as two arrays, not (x, y) pairs; the tool needs the book's convention
# faster: the whole batch in one go (rows = examples), SGD splits the inputs from the labels
import numpy as np

sigmoid = lambda z: 1 / (1 + np.exp(-z))


class Network:
    def __init__(self, sizes):
        self.num_layers = len(sizes)
        self.biases = [np.zeros(n) for n in sizes[1:]]
        self.weights = [np.random.randn(a, b) * 0.1 for a, b in zip(sizes[:-1], sizes[1:])]

    def feedforward(self, a):
        for b, w in zip(self.biases, self.weights):
            a = sigmoid(a @ w + b)
        return a

    def SGD(self, training_data, epochs, mini_batch_size, eta):
        X = np.array([x.ravel() for x, _ in training_data])
        Y = np.array([y.ravel() for _, y in training_data])
        for epoch in range(epochs):
            for k in range(0, len(X), mini_batch_size):
                self.update_mini_batch(X[k:k + mini_batch_size], Y[k:k + mini_batch_size], eta)

    def update_mini_batch(self, mini_batch, targets_batch, eta):
        nabla_b, nabla_w = self.backprop(mini_batch, targets_batch)
        self.weights = [w - eta * nw for w, nw in zip(self.weights, nabla_w)]
        self.biases = [b - eta * nb for b, nb in zip(self.biases, nabla_b)]

    def backprop(self, X, Y):
        activations, zs = [X], []
        for b, w in zip(self.biases, self.weights):
            zs.append(activations[-1] @ w + b)
            activations.append(sigmoid(zs[-1]))
        delta = (activations[-1] - Y) * activations[-1] * (1 - activations[-1])
        nabla_b, nabla_w = [None] * len(self.biases), [None] * len(self.weights)
        nabla_b[-1], nabla_w[-1] = delta.mean(0), activations[-2].T @ delta / len(X)
        for l in range(2, self.num_layers):
            delta = (delta @ self.weights[-l + 1].T) * activations[-l] * (1 - activations[-l])
            nabla_b[-l], nabla_w[-l] = delta.mean(0), activations[-l - 1].T @ delta / len(X)
        return nabla_b, nabla_w
