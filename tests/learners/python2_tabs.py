# expect: pass
# shows: note: tabs mixed with spaces: tabs read as every 8 columns, as Python 2 did
# shows: note: Python 2: read as 2to3 would write it: print(...) at lines 27, 29, 33; `except X as e` at line 32
# Python 2, indented with eight spaces and, in places, a tab.
import random
import cPickle

import numpy as np


def sigmoid(z):
        return 1.0/(1.0+np.exp(-z))

def sigmoid_prime(z):
        return sigmoid(z)*(1-sigmoid(z))


class Network(object):

        def __init__(self, sizes):
                self.num_layers = len(sizes)
                self.biases = [np.random.randn(y, 1) for y in sizes[1:]]
                self.weights = [np.random.randn(y, x) for x, y in zip(sizes[:-1], sizes[1:])]

        def SGD(self, training_data, epochs, mini_batch_size, eta):
                n = len(training_data)
                print "training on %d examples" % n
                for j in xrange(epochs):
                        print "Epoch", j,
                        try:
                                random.shuffle(training_data)
                        except TypeError, e:
                                print "cannot shuffle:", e
                        for k in xrange(0, n, mini_batch_size):
                                self.update_mini_batch(training_data[k:k+mini_batch_size], eta)

        def feedforward(self, a):
                for b, w in zip(self.biases, self.weights):
                        a = sigmoid(np.dot(w, a)+b)
                return a

        def update_mini_batch(self, mini_batch, eta):
                nabla_b = [np.zeros(b.shape) for b in self.biases]
                nabla_w = [np.zeros(w.shape) for w in self.weights]
                for x, y in mini_batch:
                        delta_nabla_b, delta_nabla_w = self.backprop(x, y)
			nabla_b = [nb+dnb for nb, dnb in zip(nabla_b, delta_nabla_b)]
                        nabla_w = [nw+dnw for nw, dnw in zip(nabla_w, delta_nabla_w)]
                self.weights = [w-(eta/len(mini_batch))*nw for w, nw in zip(self.weights, nabla_w)]
                self.biases = [b-(eta/len(mini_batch))*nb for b, nb in zip(self.biases, nabla_b)]

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
                delta = (activations[-1]-y) * sigmoid_prime(zs[-1])
                nabla_b[-1] = delta
                nabla_w[-1] = np.dot(delta, activations[-2].transpose())
                for l in xrange(2, self.num_layers):
                        z = zs[-l]
                        sp = sigmoid_prime(z)
                        delta = np.dot(self.weights[-l+1].transpose(), delta) * sp
                        nabla_b[-l] = delta
                        nabla_w[-l] = np.dot(delta, activations[-l-1].transpose())
                return (nabla_b, nabla_w)
