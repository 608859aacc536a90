"""Nielsen's network on torch tensors, with backprop written by hand.

The same matrix equations as the vectorised NumPy version, without autograd:
rows are examples, z_l = a_{l-1} W_l^T + b_l, a_l = sigmoid(z_l), and

    delta_L = (a_L - y) * a_L * (1 - a_L)
    delta_l = (delta_{l+1} W_{l+1}) * a_l * (1 - a_l)
    W_l <- W_l - (eta/m) delta_l^T a_{l-1},  b_l <- b_l - (eta/m) sum_rows delta_l

Training data lives on the device; mini-batches are gathered there by index.
"""

import torch


class TorchBackprop:
    devices = ("cpu", "cuda")

    @torch.no_grad()
    def __init__(self, params, train_x, train_y, device="cpu", dtype="float32"):
        self.device = torch.device(device)
        self.dtype = getattr(torch, dtype)
        # torch.tensor copies: training must never write into the caller's arrays.
        self.weights = [torch.tensor(w, dtype=self.dtype, device=self.device) for w in params[0::2]]
        self.biases = [torch.tensor(b, dtype=self.dtype, device=self.device) for b in params[1::2]]
        self.n_out = self.weights[-1].shape[0]
        self.train_x, labels = self.place(train_x, train_y)
        self.train_y = self.one_hot(labels)

    def one_hot(self, labels):
        return torch.nn.functional.one_hot(labels.long(), self.n_out).to(self.dtype)

    def place(self, x, y):
        return torch.as_tensor(x, dtype=self.dtype).to(self.device), torch.as_tensor(y).to(self.device)

    @torch.no_grad()
    def forward(self, a):
        for w, b in zip(self.weights, self.biases):
            a = torch.sigmoid(torch.addmm(b, a, w.T))
        return a

    @torch.no_grad()
    def train_epoch(self, order, batch_size, eta):
        order = torch.as_tensor(order).to(self.device)
        for batch in torch.split(order, batch_size):
            self.update_mini_batch(batch, eta)

    def update_mini_batch(self, batch, eta):
        x = self.train_x.index_select(0, batch)
        y = self.train_y.index_select(0, batch)
        for layer, delta, a_in in self.backprop(x, y, scale=-eta / len(batch)):
            self.weights[layer].addmm_(delta.T, a_in)
            self.biases[layer].add_(delta.sum(0))

    @torch.no_grad()
    def gradients(self, x, y):
        """Sums over the examples of dC/dW and dC/db, as [dW1, db1, dW2, db2, ...]."""
        grads = []
        for _, delta, a_in in self.backprop(x, self.one_hot(y), scale=1.0):
            grads = [delta.T @ a_in, delta.sum(0), *grads]
        return grads

    def backprop(self, x, y, scale):
        """Yield (layer, scale * delta, layer input) from the last layer back.

        Each delta is computed before it is yielded, so the caller may update
        that layer's weights at once.
        """
        activations = [x]
        for w, b in zip(self.weights, self.biases):
            activations.append(torch.sigmoid(torch.addmm(b, activations[-1], w.T)))
        a = activations[-1]
        # Backprop is linear in the output delta, so scaling it scales every gradient.
        delta = (a - y).mul_(a).mul_(1 - a).mul_(scale)
        for layer in range(len(self.weights) - 1, -1, -1):
            a_in = activations[layer]
            if layer > 0:
                next_delta = (delta @ self.weights[layer]).mul_(a_in).mul_(1 - a_in)
            yield layer, delta, a_in
            if layer > 0:
                delta = next_delta

    @torch.no_grad()
    def evaluate(self, x, y):
        return int((self.forward(x).argmax(dim=1) == y).sum())

    @torch.no_grad()
    def cost(self, x, y):
        diff = self.forward(x) - self.one_hot(y)
        return float(0.5 * diff.double().pow(2).sum() / len(x))

    def parameters(self):
        params = []
        for w, b in zip(self.weights, self.biases):
            params += [w.double().cpu().numpy(), b.double().cpu().numpy()]
        return params

    def synchronize(self):
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
