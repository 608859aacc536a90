# expect: pass
# Momentum added after chapter 1: each weight and bias kept with its velocity, as a (value, velocity) pair.
import random
import numpy as np


def sigmoid(z):
    return 1.0/(1.0+np.exp(-z))

def sigmoid_prime(z):
    return sigmoid(z)*(1-sigmoid(z))


class Network(object):

    def __init__(self, sizes, mu=0.0):
        self.num_layers = len(sizes)
        self.sizes = sizes
        self.mu = mu  # momentum co-efficient, 0 = plain SGD
        self.biases = [(np.random.randn(y, 1), np.zeros((y, 1))) for y in sizes[1:]]
        self.weights = [(np.random.randn(y, x), np.zeros((y, x)))
                        for x, y in zip(sizes[:-1], sizes[1:])]

    def feedforward(self, a):
        for (b, _), (w, _) in zip(self.biases, self.weights):
            a = sigmoid(np.dot(w, a)+b)
        return a

    def SGD(self, training_data, epochs, mini_batch_size, eta):
        n = len(training_data)
        for j in xrange(epochs):
            random.shuffle(training_data)
            for k in xrange(0, n, mini_batch_size):
                self.update_mini_batch(training_data[k:k+mini_batch_size], eta)

    def update_mini_batch(self, mini_batch, eta):
        nabla_b = [np.zeros(b.shape) for b, v in self.biases]
        nabla_w = [np.zeros(w.shape) for w, v in self.weights]
        for x, y in mini_batch:
            delta_nabla_b, delta_nabla_w = self.backprop(x, y)
            nabla_b = [nb+dnb for nb, dnb in zip(nabla_b, delta_nabla_b)]
            nabla_w = [nw+dnw for nw, dnw in zip(nabla_w, delta_nabla_w)]
        new_weights = []
        for (w, v), nw in zip(self.weights, nabla_w):
            v = self.mu*v - (eta/len(mini_batch))*nw
            new_weights.append((w+v, v))
        self.weights = new_weights
        new_biases = []
        for (b, v), nb in zip(self.biases, nabla_b):
            v = self.mu*v - (eta/len(mini_batch))*nb
            new_biases.append((b+v, v))
        self.biases = new_biases

    def backprop(self, x, y):
        nabla_b = [np.zeros(b.shape) for b, v in self.biases]
        nabla_w = [np.zeros(w.shape) for w, v in self.weights]
        activation = x
        activations = [x]
        zs = []
        for (b, _), (w, _) in zip(self.biases, self.weights):
            z = np.dot(w, activation)+b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        delta = (activations[-1] - y) * sigmoid_prime(zs[-1])
        nabla_b[-1] = delta
        nabla_w[-1] = np.dot(delta, activations[-2].transpose())
        for l in xrange(2, self.num_layers):
            z = zs[-l]
            delta = np.dot(self.weights[-l+1][0].transpose(), delta) * sigmoid_prime(z)
            nabla_b[-l] = delta
            nabla_w[-l] = np.dot(delta, activations[-l-1].transpose())
        return (nabla_b, nabla_w)
