# expect: fail 2
# shows: update_mini_batch (filled in: lmbda=0, no L2; n=50000, the training-set size)
# shows: the weights decay m times as much as the book's: the L2 term is applied once per example
"""Chapter 1's network with chapter 3's L2 regularisation added by hand, the weight decay
written inside the loop over the mini-batch, per example."""
import numpy as np
import random
import mnist_loader

def sigmoid(z):
    return 1.0/(1.0+np.exp(-z))

def sigmoid_prime(z):
    return sigmoid(z)*(1-sigmoid(z))

class Network(object):

    def __init__(self, sizes):
        self.num_layers = len(sizes)
        self.sizes = sizes
        self.biases = [np.random.randn(y, 1) for y in sizes[1:]]
        self.weights = [np.random.randn(y, x) for x, y in zip(sizes[:-1], sizes[1:])]

    def feedforward(self, a):
        for b, w in zip(self.biases, self.weights):
            a = sigmoid(np.dot(w, a)+b)
        return a

    def SGD(self, training_data, epochs, mini_batch_size, eta, lmbda=0.0, test_data=None):
        n = len(training_data)
        for j in range(epochs):
            random.shuffle(training_data)
            for k in range(0, n, mini_batch_size):
                self.update_mini_batch(training_data[k:k+mini_batch_size], eta, lmbda, n)
            if test_data:
                print("Epoch {0}: {1} / {2}".format(j, self.evaluate(test_data), len(test_data)))

    def update_mini_batch(self, mini_batch, eta, lmbda, n):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        for x, y in mini_batch:
            delta_nabla_b, delta_nabla_w = self.backprop(x, y)
            for i in range(len(nabla_w)):
                nabla_b[i] += delta_nabla_b[i]
                nabla_w[i] += delta_nabla_w[i]
                # L2: shrink the weights a little
                self.weights[i] = (1 - eta * lmbda / n) * self.weights[i]
        for i in range(len(self.weights)):
            self.weights[i] = self.weights[i] - (eta / len(mini_batch)) * nabla_w[i]
            self.biases[i] = self.biases[i] - (eta / len(mini_batch)) * nabla_b[i]

    def backprop(self, x, y):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        activation = x
        activations = [x]
        zs = []
        for b, w in zip(self.biases, self.weights):
            z = np.dot(w, activation)+b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        delta = (activations[-1] - y) * sigmoid_prime(zs[-1])
        nabla_b[-1] = delta
        nabla_w[-1] = np.dot(delta, activations[-2].transpose())
        for l in range(2, self.num_layers):
            delta = np.dot(self.weights[-l+1].transpose(), delta) * sigmoid_prime(zs[-l])
            nabla_b[-l] = delta
            nabla_w[-l] = np.dot(delta, activations[-l-1].transpose())
        return (nabla_b, nabla_w)

    def evaluate(self, test_data):
        return sum(int(np.argmax(self.feedforward(x)) == y) for (x, y) in test_data)


training_data, validation_data, test_data = mnist_loader.load_data_wrapper()
net = Network([784, 30, 10])
net.SGD(list(training_data), 30, 10, 0.5, lmbda=5.0, test_data=list(test_data))
