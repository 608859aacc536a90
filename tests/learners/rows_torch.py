# expect: pass
# shows: note: Network takes each example as rows, x (1, 784) and y (1, 10)
# shows: mat1 and mat2 shapes cannot be multiplied (784x1 and 784x30)
# network.py from chapter 1 but with torch tensors (no autograd, backprop by hand)
# I use the "x @ W" convention like most ML code: a sample is a row, W is (n_in, n_out)
import random
import torch

torch.manual_seed(0)

def sigmoid(z):
    return 1.0 / (1.0 + torch.exp(-z))

def sigmoid_prime(z):
    return sigmoid(z) * (1 - sigmoid(z))

class Network:

    def __init__(self, sizes):
        self.num_layers = len(sizes)
        self.sizes = sizes
        self.weights = [torch.randn(n_in, n_out, dtype=torch.float64) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
        self.biases = [torch.randn(1, n_out, dtype=torch.float64) for n_out in sizes[1:]]

    def feedforward(self, a):
        for W, b in zip(self.weights, self.biases):
            a = sigmoid(a @ W + b)
        return a

    def SGD(self, training_data, epochs, mini_batch_size, eta, test_data=None):
        n = len(training_data)
        for epoch in range(epochs):
            random.shuffle(training_data)
            for k in range(0, n, mini_batch_size):
                self.update_mini_batch(training_data[k:k+mini_batch_size], eta)
            if test_data:
                print("epoch", epoch, self.evaluate(test_data), "/", len(test_data))

    def update_mini_batch(self, mini_batch, eta):
        grad_W = [torch.zeros_like(W) for W in self.weights]
        grad_b = [torch.zeros_like(b) for b in self.biases]
        for x, y in mini_batch:
            dW, db = self.backprop(x, y)
            grad_W = [g + d for g, d in zip(grad_W, dW)]
            grad_b = [g + d for g, d in zip(grad_b, db)]
        m = len(mini_batch)
        self.weights = [W - (eta / m) * g for W, g in zip(self.weights, grad_W)]
        self.biases = [b - (eta / m) * g for b, g in zip(self.biases, grad_b)]

    def backprop(self, x, y):
        # forward, keeping z's and a's
        a = x
        activations, zs = [x], []
        for W, b in zip(self.weights, self.biases):
            z = a @ W + b
            zs.append(z)
            a = sigmoid(z)
            activations.append(a)
        # backward
        dW = [None] * len(self.weights)
        db = [None] * len(self.biases)
        delta = (activations[-1] - y) * sigmoid_prime(zs[-1])   # (1, 10)
        dW[-1] = activations[-2].T @ delta                      # (30, 10)
        db[-1] = delta
        for l in range(2, self.num_layers):
            delta = (delta @ self.weights[-l+1].T) * sigmoid_prime(zs[-l])
            dW[-l] = activations[-l-1].T @ delta
            db[-l] = delta
        return dW, db

    def evaluate(self, test_data):
        return sum(int(torch.argmax(self.feedforward(x)) == y) for x, y in test_data)


if __name__ == "__main__":
    import mnist_loader
    training_data, validation_data, test_data = mnist_loader.load_data_wrapper()
    # mnist_loader gives columns (784, 1): make them rows
    training_data = [(torch.tensor(x.T), torch.tensor(y.T)) for x, y in training_data]
    test_data = [(torch.tensor(x.T), y) for x, y in test_data]
    net = Network([784, 30, 10])
    net.SGD(training_data, 30, 10, 3.0, test_data=test_data)
