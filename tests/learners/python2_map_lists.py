# expect: pass
# shows: list(map(...)) at lines 62, 63
"""
network.py  (python 2.7)
a matrix version of update_mini_batch: the whole mini batch as one matrix,
columns side by side, instead of the loop over (x, y)
"""

import random
import cPickle
import gzip

import numpy as np

def sigmoid(z):
    return 1.0/(1.0+np.exp(-z))

def sigmoid_prime(z):
    return sigmoid(z)*(1-sigmoid(z))

class Network(object):

    def __init__(self, sizes):
        self.num_layers = len(sizes)
        self.sizes = sizes
        self.biases = [np.random.randn(y, 1) for y in sizes[1:]]
        self.weights = [np.random.randn(y, x)
                        for x, y in zip(sizes[:-1], sizes[1:])]

    def feedforward(self, a):
        for b, w in zip(self.biases, self.weights):
            a = sigmoid(np.dot(w, a)+b)
        return a

    def SGD(self, training_data, epochs, mini_batch_size, eta,
            test_data=None):
        if test_data: n_test = len(test_data)
        n = len(training_data)
        for j in xrange(epochs):
            random.shuffle(training_data)
            mini_batches = [
                training_data[k:k+mini_batch_size]
                for k in xrange(0, n, mini_batch_size)]
            for mini_batch in mini_batches:
                self.update_mini_batch(mini_batch, eta)
            if test_data:
                print "Epoch {0}: {1} / {2}".format(
                    j, self.evaluate(test_data), n_test)
            else:
                print "Epoch {0} complete".format(j)

    def update_mini_batch(self, mini_batch, eta):
        """all the examples at once: X is 784 x m, Y is 10 x m"""
        X, Y = self.as_matrices(mini_batch)
        nabla_b, nabla_w = self.backprop(X, Y)
        m = len(mini_batch)
        self.weights = [w-(eta/m)*nw for w, nw in zip(self.weights, nabla_w)]
        self.biases = [b-(eta/m)*nb for b, nb in zip(self.biases, nabla_b)]

    def as_matrices(self, mini_batch):
        # each x and y is a column, hstack puts them side by side
        X = np.hstack(map(lambda pair: pair[0], mini_batch))
        Y = np.hstack(map(lambda pair: pair[1], mini_batch))
        return X, Y

    def backprop(self, x, y):
        """works for one column or for a matrix of columns (sums over them)"""
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
        delta = self.cost_derivative(activations[-1], y) * sigmoid_prime(zs[-1])
        nabla_b[-1] = delta.sum(axis=1).reshape(-1, 1)
        nabla_w[-1] = np.dot(delta, activations[-2].transpose())
        for l in xrange(2, self.num_layers):
            z = zs[-l]
            sp = sigmoid_prime(z)
            delta = np.dot(self.weights[-l+1].transpose(), delta) * sp
            nabla_b[-l] = delta.sum(axis=1).reshape(-1, 1)
            nabla_w[-l] = np.dot(delta, activations[-l-1].transpose())
        return (nabla_b, nabla_w)

    def evaluate(self, test_data):
        test_results = [(np.argmax(self.feedforward(x)), y)
                        for (x, y) in test_data]
        return sum(int(x == y) for (x, y) in test_results)

    def cost_derivative(self, output_activations, y):
        return (output_activations-y)

if __name__ == "__main__":
    f = gzip.open('../data/mnist.pkl.gz', 'rb')
    training_data, validation_data, test_data = cPickle.load(f)
    f.close()
    print "loaded", len(training_data[0]), "examples"
