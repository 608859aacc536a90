# expect: exit 2
# shows: keeps no weights shaped (30, 784), (10, 30) in any of its attributes (its attributes: model)
# shows: if they are there, name the attribute: --param weights=NAME
# with: --param weights=model.layers --param biases=model.layers
# expect: pass
"""My own little Keras, to understand what model.fit() does."""
import numpy as np


class Sigmoid:
    def __call__(self, z):
        return 1 / (1 + np.exp(-z))

    def prime(self, z):
        s = self(z)
        return s * (1 - s)


class Dense:
    def __init__(self, n_in, n_out):
        self.params = {"W": np.random.randn(n_out, n_in), "b": np.random.randn(n_out, 1)}
        self.act = Sigmoid()

    def forward(self, a):
        self.a_in = a
        self.z = self.params["W"] @ a + self.params["b"]
        return self.act(self.z)


class Sequential:
    def __init__(self, layers):
        self.layers = layers


class Network:
    def __init__(self, sizes):
        self.model = Sequential([Dense(i, o) for i, o in zip(sizes[:-1], sizes[1:])])

    def feedforward(self, a):
        for layer in self.model.layers:
            a = layer.forward(a)
        return a

    def backprop(self, x, y):
        out = self.feedforward(x)
        delta = (out - y) * self.model.layers[-1].act.prime(self.model.layers[-1].z)
        nabla_b, nabla_w = [], []
        for i in reversed(range(len(self.model.layers))):
            layer = self.model.layers[i]
            nabla_b.insert(0, delta)
            nabla_w.insert(0, delta @ layer.a_in.T)
            if i > 0:
                below = self.model.layers[i - 1]
                delta = (layer.params["W"].T @ delta) * below.act.prime(below.z)
        return nabla_b, nabla_w

    def update_mini_batch(self, batch, eta):
        grads = [self.backprop(x, y) for x, y in batch]
        for i, layer in enumerate(self.model.layers):
            layer.params["W"] = layer.params["W"] - eta / len(batch) * sum(g[1][i] for g in grads)
            layer.params["b"] = layer.params["b"] - eta / len(batch) * sum(g[0][i] for g in grads)
