# expect: pass
# shows: class NeuralNet, feedforward as `forward_prop`, update_mini_batch, backprop as `back_prop`
import numpy as np


def sigmoid(Z):
    return 1 / (1 + np.exp(-Z))


class NeuralNet:
    def __init__(self, layer_dims):
        self.L = len(layer_dims) - 1
        self.params = {}
        for l in range(1, self.L + 1):
            self.params["W" + str(l)] = np.random.randn(layer_dims[l], layer_dims[l - 1])
            self.params["b" + str(l)] = np.random.randn(layer_dims[l], 1)

    def forward_prop(self, X):
        A = X
        for l in range(1, self.L + 1):
            A = sigmoid(self.params["W" + str(l)] @ A + self.params["b" + str(l)])
        return A

    def back_prop(self, X, Y):
        cache = {"A0": X}
        A = X
        for l in range(1, self.L + 1):
            Z = self.params["W" + str(l)] @ A + self.params["b" + str(l)]
            A = sigmoid(Z)
            cache["Z" + str(l)], cache["A" + str(l)] = Z, A
        grads = {}
        dZ = (A - Y) * A * (1 - A)
        for l in reversed(range(1, self.L + 1)):
            grads["dW" + str(l)] = dZ @ cache["A" + str(l - 1)].T
            grads["db" + str(l)] = dZ
            if l > 1:
                A_prev = cache["A" + str(l - 1)]
                dZ = (self.params["W" + str(l)].T @ dZ) * A_prev * (1 - A_prev)
        nabla_b = [grads["db" + str(l)] for l in range(1, self.L + 1)]
        nabla_w = [grads["dW" + str(l)] for l in range(1, self.L + 1)]
        return nabla_b, nabla_w

    def update_mini_batch(self, mini_batch, eta):
        m = len(mini_batch)
        sums = {k: np.zeros_like(v) for k, v in self.params.items()}
        for x, y in mini_batch:
            nabla_b, nabla_w = self.back_prop(x, y)
            for l in range(1, self.L + 1):
                sums["W" + str(l)] += nabla_w[l - 1]
                sums["b" + str(l)] += nabla_b[l - 1]
        for k in self.params:
            self.params[k] = self.params[k] - eta / m * sums[k]
