# expect: exit 2
# shows: (in update_mini_batch) uses `progressbar`, which was not imported: line 5 `import progressbar`: No module named 'progressbar'
import numpy as np

import progressbar


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


class Network:
    def __init__(self, sizes):
        self.sizes = sizes
        self.weights = [np.random.randn(y, x) for x, y in zip(sizes[:-1], sizes[1:])]
        self.biases = [np.random.randn(y, 1) for y in sizes[1:]]

    def feedforward(self, a):
        for w, b in zip(self.weights, self.biases):
            a = sigmoid(w @ a + b)
        return a

    def update_mini_batch(self, mini_batch, eta):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        for x, y in progressbar.progressbar(mini_batch):
            db, dw = self.backprop(x, y)
            nabla_b = [n + d for n, d in zip(nabla_b, db)]
            nabla_w = [n + d for n, d in zip(nabla_w, dw)]
        self.weights = [w - eta / len(mini_batch) * n for w, n in zip(self.weights, nabla_w)]
        self.biases = [b - eta / len(mini_batch) * n for b, n in zip(self.biases, nabla_b)]

    def backprop(self, x, y):
        activations = [x]
        for w, b in zip(self.weights, self.biases):
            activations.append(sigmoid(w @ activations[-1] + b))
        delta = (activations[-1] - y) * activations[-1] * (1 - activations[-1])
        nabla_b, nabla_w = [delta], [delta @ activations[-2].T]
        for l in range(2, len(self.sizes)):
            a = activations[-l]
            delta = (self.weights[-l + 1].T @ delta) * a * (1 - a)
            nabla_b.insert(0, delta)
            nabla_w.insert(0, delta @ activations[-l - 1].T)
        return nabla_b, nabla_w
