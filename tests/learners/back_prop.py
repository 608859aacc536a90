# expect: pass
# shows: feedforward as `feedforwardoutput`, update_mini_batch as `update_weights_biases`, backprop as `back_prop`
# shows: back_prop returns (nabla_w, nabla_b): taken in that order, by their shapes
import numpy as np

sigmoid = lambda z: 1 / (1 + np.exp(-z))


class Network:
    def __init__(self, sizes):
        self.sizes = sizes
        self.weights = [np.random.randn(j, i) for i, j in zip(sizes[:-1], sizes[1:])]
        self.biases = [np.random.randn(j, 1) for j in sizes[1:]]

    def feedforwardoutput(self, x):
        out = x
        for w, b in zip(self.weights, self.biases):
            out = sigmoid(w.dot(out) + b)
        return out

    def sgd(self, data, epochs, size, eta):
        for e in range(epochs):
            np.random.shuffle(data)
            for batch in [data[k:k + size] for k in range(0, len(data), size)]:
                self.update_weights_biases(batch, eta)

    def update_weights_biases(self, batch, eta):
        dws = [np.zeros(w.shape) for w in self.weights]
        dbs = [np.zeros(b.shape) for b in self.biases]
        for x, y in batch:
            dw, db = self.back_prop(x, y)
            dws = [a + b for a, b in zip(dws, dw)]
            dbs = [a + b for a, b in zip(dbs, db)]
        self.weights = [w - eta * d / len(batch) for w, d in zip(self.weights, dws)]
        self.biases = [b - eta * d / len(batch) for b, d in zip(self.biases, dbs)]

    def back_prop(self, x, y):
        acts = [x]
        for w, b in zip(self.weights, self.biases):
            acts.append(sigmoid(w.dot(acts[-1]) + b))
        dw, db = [], []
        delta = (acts[-1] - y) * acts[-1] * (1 - acts[-1])
        for k in range(len(self.weights) - 1, -1, -1):
            dw.insert(0, delta.dot(acts[k].T))
            db.insert(0, delta)
            delta = self.weights[k].T.dot(delta) * acts[k] * (1 - acts[k])
        return dw, db
