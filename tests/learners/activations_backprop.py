# expect: pass
# shows: back_propagate is not the book's backprop(x, y)
# shows: left out; the gradients come from one-example updates of update_mini_batch instead
# shows: PASS 1. the one-example update (backprop left out, see the note) matches central differences
# My network - I split the forward pass and the backward pass into two functions
import numpy as np
import random

def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))

def sigmoid_derivitive(z):
    return sigmoid(z) * (1.0 - sigmoid(z))

class Network(object):
    def __init__(self, sizes):
        self.num_layers = len(sizes)
        self.sizes = sizes
        self.biases = [np.random.randn(y, 1) for y in sizes[1:]]
        self.weights = [np.random.randn(y, x) for x, y in zip(sizes[:-1], sizes[1:])]

    def feedforward(self, a):
        for b, w in zip(self.biases, self.weights):
            a = sigmoid(np.dot(w, a) + b)
        return a

    def forward_pass(self, x):
        """returns the list of activations and the list of z's"""
        activations = [x]
        zs = []
        for b, w in zip(self.biases, self.weights):
            z = np.dot(w, activations[-1]) + b
            zs.append(z)
            activations.append(sigmoid(z))
        return activations, zs

    def back_propagate(self, activations, y, zs=None):
        if zs is None:
            zs = [np.log(a / (1 - a)) for a in activations[1:]]   # undo the sigmoid
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        delta = (activations[-1] - y) * sigmoid_derivitive(zs[-1])
        nabla_b[-1] = delta
        nabla_w[-1] = np.dot(delta, activations[-2].T)
        for l in range(2, self.num_layers):
            delta = np.dot(self.weights[-l + 1].T, delta) * sigmoid_derivitive(zs[-l])
            nabla_b[-l] = delta
            nabla_w[-l] = np.dot(delta, activations[-l - 1].T)
        return nabla_b, nabla_w

    def update_mini_batch(self, mini_batch, eta):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        for x, y in mini_batch:
            activations, zs = self.forward_pass(x)
            delta_nabla_b, delta_nabla_w = self.back_propagate(activations, y, zs)
            nabla_b = [nb + dnb for nb, dnb in zip(nabla_b, delta_nabla_b)]
            nabla_w = [nw + dnw for nw, dnw in zip(nabla_w, delta_nabla_w)]
        self.weights = [w - (eta / len(mini_batch)) * nw for w, nw in zip(self.weights, nabla_w)]
        self.biases = [b - (eta / len(mini_batch)) * nb for b, nb in zip(self.biases, nabla_b)]

    def SGD(self, training_data, epochs, mini_batch_size, eta, test_data=None):
        for j in range(epochs):
            random.shuffle(training_data)
            for k in range(0, len(training_data), mini_batch_size):
                self.update_mini_batch(training_data[k:k + mini_batch_size], eta)
            if test_data:
                print("Epoch %d: %d / %d" % (j, self.evaluate(test_data), len(test_data)))

    def evaluate(self, test_data):
        return sum(int(np.argmax(self.feedforward(x)) == y) for (x, y) in test_data)
