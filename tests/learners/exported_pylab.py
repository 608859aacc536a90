#!/usr/bin/env python
# coding: utf-8
# expect: pass
# shows: %pylab (line 10): run as the imports IPython makes for it


# In[1]:


get_ipython().run_line_magic('pylab', 'inline')
import random


# In[2]:


def sigmoid(z):
    return 1.0/(1.0+exp(-z))

def sigmoid_prime(z):
    return sigmoid(z)*(1-sigmoid(z))


# In[3]:


class Network(object):
    def __init__(self, sizes):
        self.num_layers = len(sizes)
        self.sizes = sizes
        self.biases = [randn(y, 1) for y in sizes[1:]]
        self.weights = [randn(y, x) for x, y in zip(sizes[:-1], sizes[1:])]

    def feedforward(self, a):
        for b, w in zip(self.biases, self.weights):
            a = sigmoid(dot(w, a) + b)
        return a

    def SGD(self, training_data, epochs, mini_batch_size, eta, test_data=None):
        n = len(training_data)
        self.history = []
        for j in range(epochs):
            random.shuffle(training_data)
            for k in range(0, n, mini_batch_size):
                self.update_mini_batch(training_data[k:k+mini_batch_size], eta)
            if test_data:
                self.history.append(self.evaluate(test_data) / len(test_data))

    def update_mini_batch(self, mini_batch, eta):
        nabla_b = [zeros(b.shape) for b in self.biases]
        nabla_w = [zeros(w.shape) for w in self.weights]
        for x, y in mini_batch:
            delta_nabla_b, delta_nabla_w = self.backprop(x, y)
            nabla_b = [nb+dnb for nb, dnb in zip(nabla_b, delta_nabla_b)]
            nabla_w = [nw+dnw for nw, dnw in zip(nabla_w, delta_nabla_w)]
        self.weights = [w-(eta/len(mini_batch))*nw for w, nw in zip(self.weights, nabla_w)]
        self.biases = [b-(eta/len(mini_batch))*nb for b, nb in zip(self.biases, nabla_b)]

    def backprop(self, x, y):
        nabla_b = [zeros(b.shape) for b in self.biases]
        nabla_w = [zeros(w.shape) for w in self.weights]
        activation = x
        activations = [x]
        zs = []
        for b, w in zip(self.biases, self.weights):
            z = dot(w, activation)+b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        delta = (activations[-1] - y) * sigmoid_prime(zs[-1])
        nabla_b[-1] = delta
        nabla_w[-1] = dot(delta, activations[-2].T)
        for l in range(2, self.num_layers):
            delta = dot(self.weights[-l+1].T, delta) * sigmoid_prime(zs[-l])
            nabla_b[-l] = delta
            nabla_w[-l] = dot(delta, activations[-l-1].T)
        return (nabla_b, nabla_w)

    def evaluate(self, test_data):
        return sum(int(argmax(self.feedforward(x)) == y) for (x, y) in test_data)


# In[4]:


import mnist_loader
training_data, validation_data, test_data = mnist_loader.load_data_wrapper()
net = Network([784, 30, 10])
net.SGD(list(training_data), 30, 10, 3.0, test_data=list(test_data))


# In[5]:


plot(net.history)
xlabel('epoch'); ylabel('accuracy')

