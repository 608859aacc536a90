"""Nielsen's network on torch tensors, with backprop written by hand.

The same matrix equations as the vectorised NumPy version, without autograd:
rows are examples, z_l = a_{l-1} W_l^T + b_l, a_l = sigmoid(z_l), and

    delta_L = (a_L - y) * a_L * (1 - a_L)
    delta_l = (delta_{l+1} W_{l+1}) * a_l * (1 - a_l)
    W_l <- W_l - (eta/m) delta_l^T a_{l-1},  b_l <- b_l - (eta/m) delta_l^T 1

Training data lives on the device; mini-batches are gathered there by index.
On CUDA, runs of `graph_steps` mini-batches are replayed as CUDA graphs
(impls/cuda_graphs.py); `cuda_graphs` says whether they were.
"""

import torch

from impls.cuda_graphs import GraphedSteps


class TorchBackprop:
    devices = ("cpu", "cuda")

    @torch.no_grad()
    def __init__(
        self, params, train_x, train_y, device="cpu", dtype="float32", cuda_graphs=True, graph_steps=100
    ):
        self.device = torch.device(device)
        self.graphs = GraphedSteps(cuda_graphs and self.device.type == "cuda", graph_steps, self.device)
        self.ones_cache = {}
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
            a = torch.addmm(b, a, w.T).sigmoid_()
        return a

    @property
    def cuda_graphs(self):
        return self.graphs.enabled

    @torch.no_grad()
    def prepare_training(self, batch_size, eta):
        self.train_in_graphs(order=torch.empty(0, dtype=torch.long), batch_size=batch_size, eta=eta)

    @torch.no_grad()
    def train_epoch(self, order, batch_size, eta):
        order = torch.as_tensor(order).to(self.device)
        done = self.train_in_graphs(order, batch_size, eta)
        for batch in torch.split(order[done:], batch_size):
            self.update_mini_batch(batch, eta)

    def train_in_graphs(self, order, batch_size, eta):
        self.ones(batch_size)  # made eagerly: a tensor first made inside capture is unfilled until replay
        step = lambda batch: self.update_mini_batch(batch, eta)  # noqa: E731
        return self.graphs.train(order, batch_size, eta, step, self.weights + self.biases)

    def update_mini_batch(self, batch, eta):
        x = self.train_x.index_select(0, batch)
        y = self.train_y.index_select(0, batch)
        step = -eta / len(batch)
        for layer, delta, a_in in self.backprop(x, y):
            self.weights[layer].addmm_(delta.T, a_in, alpha=step)
            self.biases[layer].addmv_(delta.T, self.ones(len(batch)), alpha=step)

    def ones(self, m):
        if m not in self.ones_cache:
            self.ones_cache[m] = torch.ones(m, dtype=self.dtype, device=self.device)
        return self.ones_cache[m]

    @torch.no_grad()
    def gradients(self, x, y):
        """Sums over the examples of dC/dW and dC/db, as [dW1, db1, dW2, db2, ...]."""
        grads = []
        for _, delta, a_in in self.backprop(x, self.one_hot(y)):
            grads = [delta.T @ a_in, delta.sum(0), *grads]
        return grads

    def backprop(self, x, y):
        """Yield (layer, delta, layer input) from the last layer back.

        Each delta is computed before it is yielded, so the caller may update
        that layer's weights at once.
        """
        activations = [x]
        for w, b in zip(self.weights, self.biases):
            activations.append(torch.addmm(b, activations[-1], w.T).sigmoid_())
        a = activations[-1]
        # sigma'(z) = a (1 - a) = a - a*a
        delta = (a - y).mul_(torch.addcmul(a, a, a, value=-1))
        for layer in range(len(self.weights) - 1, -1, -1):
            a_in = activations[layer]
            if layer > 0:
                next_delta = (delta @ self.weights[layer]).mul_(torch.addcmul(a_in, a_in, a_in, value=-1))
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
