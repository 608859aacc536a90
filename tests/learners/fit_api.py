# expect: exit 2
# shows: class MLP trains through fit(X, y), on all the data at once
import numpy as np


class MLP:
    def __init__(self, hidden=30, epochs=30, learning_rate=3.0, batch_size=10):
        self.hidden, self.epochs = hidden, epochs
        self.learning_rate, self.batch_size = learning_rate, batch_size

    def _sigmoid(self, z):
        return 1 / (1 + np.exp(-z))

    def fit(self, X, y):
        n, d = X.shape
        self.W1 = np.random.randn(d, self.hidden)
        self.W2 = np.random.randn(self.hidden, 10)
        T = np.eye(10)[y]
        for _ in range(self.epochs):
            for k in range(0, n, self.batch_size):
                xb, tb = X[k:k + self.batch_size], T[k:k + self.batch_size]
                h = self._sigmoid(xb @ self.W1)
                out = self._sigmoid(h @ self.W2)
                d2 = (out - tb) * out * (1 - out)
                d1 = (d2 @ self.W2.T) * h * (1 - h)
                self.W2 -= self.learning_rate / len(xb) * h.T @ d2
                self.W1 -= self.learning_rate / len(xb) * xb.T @ d1
        return self

    def predict(self, X):
        return np.argmax(self._sigmoid(self._sigmoid(X @ self.W1) @ self.W2), axis=1)
