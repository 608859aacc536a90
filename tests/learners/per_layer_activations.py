# expect: exit 2
# shows: Network(sizes, acts, cost) needs `acts` beside the layer sizes; pass it (a Python expression in your file's namespace): --init "acts=['sigmoid', 'sigmoid']"
# with: --init "acts=['sigmoid', 'sigmoid']"
# expect: pass
# shows: built as Network(sizes, acts=['sigmoid', 'sigmoid'])
# one activation per layer, by name, so that the output layer can be softmax one day
import numpy as np


def sigmoid(z):
    return 1/(1+np.exp(-z))

def relu(z):
    return np.maximum(z, 0)

def d_sigmoid(z):
    return sigmoid(z)*(1-sigmoid(z))

def d_relu(z):
    return (z > 0)*1.0


class QuadraticCost:
    @staticmethod
    def fn(a, y):
        return 0.5*np.linalg.norm(a-y)**2


class Network:
    def __init__(self, sizes, acts, cost=QuadraticCost):
        self.L = len(sizes)
        self.acts = acts    # e.g. ['relu','sigmoid']
        self.cost = cost
        self.b = [np.random.randn(n, 1) for n in sizes[1:]]
        self.W = [np.random.randn(n, m)/np.sqrt(m) for m, n in zip(sizes[:-1], sizes[1:])]

    def df(self, name, z):
        if name == 'sigmoid': return d_sigmoid(z)
        if name == 'relu': return d_relu(z)

    def feedforward(self, a):
        for W, b, act in zip(self.W, self.b, self.acts):
            if act == 'sigmoid':
                a = sigmoid(W @ a + b)
            elif act == 'relu':
                a = relu(W @ a + b)
        return a

    def backprop(self, x, y):
        gb = [np.zeros(b.shape) for b in self.b]
        gW = [np.zeros(W.shape) for W in self.W]
        a, As, Zs = x, [x], []
        for W, b, act in zip(self.W, self.b, self.acts):
            z = W @ a + b
            Zs.append(z)
            a = sigmoid(z) if act == 'sigmoid' else relu(z)
            As.append(a)
        delta = (As[-1] - y) * self.df(self.acts[-1], Zs[-1])
        gb[-1], gW[-1] = delta, delta @ As[-2].T
        for l in range(2, self.L):
            delta = (self.W[-l+1].T @ delta) * self.df(self.acts[-l], Zs[-l])
            gb[-l], gW[-l] = delta, delta @ As[-l-1].T
        return gb, gW

    def update_mini_batch(self, batch, lr):
        gb = [np.zeros(b.shape) for b in self.b]
        gW = [np.zeros(W.shape) for W in self.W]
        for x, y in batch:
            db, dW = self.backprop(x, y)
            gb = [g+d for g, d in zip(gb, db)]
            gW = [g+d for g, d in zip(gW, dW)]
        self.W = [W - lr/len(batch)*g for W, g in zip(self.W, gW)]
        self.b = [b - lr/len(batch)*g for b, g in zip(self.b, gb)]


net = Network([784, 30, 10], ['sigmoid', 'sigmoid'])
