# expect: exit 2
# shows: Network(sizes, activation_mode) needs `activation_mode` beside the layer sizes; pass it (a Python expression in your file's namespace): --init "activation_mode='sigmoid'"
# with: --init "activation_mode='sigmoid'"
# expect: pass
import numpy as np


class Network:
    def __init__(self, sizes, activation_mode):
        self.num_layers = len(sizes)
        self.activation_mode = activation_mode
        self.weights = [np.random.randn(y, x) for x, y in zip(sizes[:-1], sizes[1:])]
        self.biases = [np.random.randn(y, 1) for y in sizes[1:]]

    def activation(self, z):
        if self.activation_mode == "sigmoid":
            return 1.0 / (1.0 + np.exp(-z))
        elif self.activation_mode == "tanh":
            return np.tanh(z)

    def activation_prime(self, z):
        if self.activation_mode == "sigmoid":
            return self.activation(z) * (1 - self.activation(z))
        return 1 - np.tanh(z) ** 2

    def feedforward(self, a):
        for b, w in zip(self.biases, self.weights):
            a = self.activation(np.dot(w, a) + b)
        return a

    def update_mini_batch(self, mini_batch, eta):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        for x, y in mini_batch:
            delta_nabla_b, delta_nabla_w = self.backprop(x, y)
            nabla_b = [nb + dnb for nb, dnb in zip(nabla_b, delta_nabla_b)]
            nabla_w = [nw + dnw for nw, dnw in zip(nabla_w, delta_nabla_w)]
        self.weights = [w - (eta / len(mini_batch)) * nw for w, nw in zip(self.weights, nabla_w)]
        self.biases = [b - (eta / len(mini_batch)) * nb for b, nb in zip(self.biases, nabla_b)]

    def backprop(self, x, y):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        activation = x
        activations = [x]
        zs = []
        for b, w in zip(self.biases, self.weights):
            z = np.dot(w, activation) + b
            zs.append(z)
            activation = self.activation(z)
            activations.append(activation)
        delta = (activations[-1] - y) * self.activation_prime(zs[-1])
        nabla_b[-1] = delta
        nabla_w[-1] = np.dot(delta, activations[-2].transpose())
        for l in range(2, self.num_layers):
            delta = np.dot(self.weights[-l + 1].transpose(), delta) * self.activation_prime(zs[-l])
            nabla_b[-l] = delta
            nabla_w[-l] = np.dot(delta, activations[-l - 1].transpose())
        return (nabla_b, nabla_w)


net = Network([784, 30, 10], "sigmoid")
