# expect: pass
# shows: class Net, feedforward as `forward`, update_mini_batch, backprop
# Chapter 1 on torch tensors, backprop written out by hand (no autograd), to run it on the GPU later.
import random

import torch

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


def sigmoid(z):
    return 1.0 / (1.0 + torch.exp(-z))


def sigmoid_prime(z):
    return sigmoid(z) * (1 - sigmoid(z))


class Net:
    def __init__(self, sizes):
        self.num_layers = len(sizes)
        self.sizes = sizes
        self.biases = [torch.randn(y, 1, device=device) for y in sizes[1:]]
        self.weights = [torch.randn(y, x, device=device) for x, y in zip(sizes[:-1], sizes[1:])]

    def forward(self, a):
        for b, w in zip(self.biases, self.weights):
            a = sigmoid(torch.mm(w, a) + b)
        return a

    def SGD(self, training_data, epochs, mini_batch_size, eta, test_data=None):
        n = len(training_data)
        for j in range(epochs):
            random.shuffle(training_data)
            for k in range(0, n, mini_batch_size):
                self.update_mini_batch(training_data[k:k + mini_batch_size], eta)
            if test_data:
                print(f"Epoch {j}: {self.evaluate(test_data)} / {len(test_data)}")

    def update_mini_batch(self, mini_batch, eta):
        nabla_b = [torch.zeros_like(b) for b in self.biases]
        nabla_w = [torch.zeros_like(w) for w in self.weights]
        for x, y in mini_batch:
            delta_nabla_b, delta_nabla_w = self.backprop(x, y)
            nabla_b = [nb + dnb for nb, dnb in zip(nabla_b, delta_nabla_b)]
            nabla_w = [nw + dnw for nw, dnw in zip(nabla_w, delta_nabla_w)]
        self.weights = [w - (eta / len(mini_batch)) * nw for w, nw in zip(self.weights, nabla_w)]
        self.biases = [b - (eta / len(mini_batch)) * nb for b, nb in zip(self.biases, nabla_b)]

    def backprop(self, x, y):
        nabla_b = [None] * len(self.biases)
        nabla_w = [None] * len(self.weights)
        activation = x
        activations = [x]
        zs = []
        for b, w in zip(self.biases, self.weights):
            z = torch.mm(w, activation) + b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        delta = (activations[-1] - y) * sigmoid_prime(zs[-1])
        nabla_b[-1] = delta
        nabla_w[-1] = torch.mm(delta, activations[-2].t())
        for l in range(2, self.num_layers):
            delta = torch.mm(self.weights[-l + 1].t(), delta) * sigmoid_prime(zs[-l])
            nabla_b[-l] = delta
            nabla_w[-l] = torch.mm(delta, activations[-l - 1].t())
        return nabla_b, nabla_w

    def evaluate(self, test_data):
        return sum(int(torch.argmax(self.forward(x)) == y) for x, y in test_data)


if __name__ == "__main__":
    import mnist_loader
    training_data, validation_data, test_data = mnist_loader.load_data_wrapper()
    to = lambda a: torch.tensor(a, dtype=torch.float32, device=device)
    training_data = [(to(x), to(y)) for x, y in training_data]
    test_data = [(to(x), y) for x, y in test_data]
    net = Net([784, 30, 10])
    net.SGD(training_data, 30, 10, 3.0, test_data=test_data)
