# expect: exit 2
# shows: class Net has no feedforward or update_mini_batch method that the tool recognises (its methods: run, step, grads); name them: --method feedforward=NAME --method update_mini_batch=NAME
# with: --method feedforward=run --method update_mini_batch=step
# expect: pass
# shows: the one-example update (no backprop method)
# with: --method feedforward=run --method update_mini_batch=step --method backprop=grads
# expect: pass
# shows: class Net, feedforward as `run`, update_mini_batch as `step`, backprop as `grads`
"""Names of the author's own, that no list of aliases could guess."""
import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


class Net:
    def __init__(self, shape):
        self.shape = shape
        self.weights = [np.random.randn(b, a) for a, b in zip(shape[:-1], shape[1:])]
        self.biases = [np.random.randn(b, 1) for b in shape[1:]]

    def run(self, a):
        for w, b in zip(self.weights, self.biases):
            a = sigmoid(w @ a + b)
        return a

    def step(self, examples, rate):
        total_w = [np.zeros(w.shape) for w in self.weights]
        total_b = [np.zeros(b.shape) for b in self.biases]
        for x, y in examples:
            gb, gw = self.grads(x, y)
            total_w = [t + g for t, g in zip(total_w, gw)]
            total_b = [t + g for t, g in zip(total_b, gb)]
        self.weights = [w - rate / len(examples) * t for w, t in zip(self.weights, total_w)]
        self.biases = [b - rate / len(examples) * t for b, t in zip(self.biases, total_b)]

    def grads(self, x, y):
        outs = [x]
        for w, b in zip(self.weights, self.biases):
            outs.append(sigmoid(w @ outs[-1] + b))
        delta = (outs[-1] - y) * outs[-1] * (1 - outs[-1])
        gb, gw = [delta], [delta @ outs[-2].T]
        for k in range(len(self.weights) - 2, -1, -1):
            delta = (self.weights[k + 1].T @ delta) * outs[k + 1] * (1 - outs[k + 1])
            gb.insert(0, delta)
            gw.insert(0, delta @ outs[k].T)
        return gb, gw
