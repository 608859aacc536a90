# expect: pass
# shows: note: line 4 `try: import cupy as cp except ImportE...`: cupy is not installed here
# Runs on the GPU with cupy when there is one, else on numpy (same API!)
try:
    import cupy as cp
except ImportError:
    import numpy as cp

import numpy as np
import random
import time

def sigmoid(z):
    return 1.0 / (1.0 + cp.exp(-z))

def sigmoid_prime(z):
    s = sigmoid(z)
    return s * (1 - s)

class Network:
    def __init__(self, sizes):
        self.num_layers = len(sizes)
        self.sizes = sizes
        self.biases = [cp.random.randn(y, 1) for y in sizes[1:]]
        self.weights = [cp.random.randn(y, x) for x, y in zip(sizes[:-1], sizes[1:])]

    def feedforward(self, a):
        a = cp.asarray(a)
        for b, w in zip(self.biases, self.weights):
            a = sigmoid(cp.dot(w, a) + b)
        return cp.asnumpy(a)   # back to the cpu for argmax / printing

    def SGD(self, training_data, epochs, mini_batch_size, eta, test_data=None):
        # move everything to the gpu once
        training_data = [(cp.asarray(x), cp.asarray(y)) for x, y in training_data]
        n = len(training_data)
        for j in range(epochs):
            t0 = time.time()
            random.shuffle(training_data)
            for k in range(0, n, mini_batch_size):
                self.update_mini_batch(training_data[k:k + mini_batch_size], eta)
            cp.cuda.Stream.null.synchronize()   # wait for the gpu before timing
            if test_data:
                print(f"Epoch {j}: {self.evaluate(test_data)} / {len(test_data)} ({time.time() - t0:.1f}s)")

    def update_mini_batch(self, mini_batch, eta):
        nabla_b = [cp.zeros(b.shape) for b in self.biases]
        nabla_w = [cp.zeros(w.shape) for w in self.weights]
        for x, y in mini_batch:
            delta_nabla_b, delta_nabla_w = self.backprop(x, y)
            nabla_b = [nb + dnb for nb, dnb in zip(nabla_b, delta_nabla_b)]
            nabla_w = [nw + dnw for nw, dnw in zip(nabla_w, delta_nabla_w)]
        self.weights = [w - (eta / len(mini_batch)) * nw for w, nw in zip(self.weights, nabla_w)]
        self.biases = [b - (eta / len(mini_batch)) * nb for b, nb in zip(self.biases, nabla_b)]
        cp.cuda.Stream.null.synchronize()

    def backprop(self, x, y):
        x, y = cp.asarray(x), cp.asarray(y)
        nabla_b = [None] * len(self.biases)
        nabla_w = [None] * len(self.weights)
        activation = x
        activations = [x]
        zs = []
        for b, w in zip(self.biases, self.weights):
            z = cp.dot(w, activation) + b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        delta = (activations[-1] - y) * sigmoid_prime(zs[-1])
        nabla_b[-1] = delta
        nabla_w[-1] = cp.dot(delta, activations[-2].T)
        for l in range(2, self.num_layers):
            delta = cp.dot(self.weights[-l + 1].T, delta) * sigmoid_prime(zs[-l])
            nabla_b[-l] = delta
            nabla_w[-l] = cp.dot(delta, activations[-l - 1].T)
        return nabla_b, nabla_w

    def evaluate(self, test_data):
        return sum(int(np.argmax(self.feedforward(x)) == y) for x, y in test_data)


# net = Network([784, 30, 10])
# net.SGD(training_data, 30, 10, 3.0, test_data=test_data)
