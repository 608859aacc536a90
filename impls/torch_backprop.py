"""Nielsen's network on torch tensors, with backprop written by hand.

The same matrix equations as the vectorised NumPy version, without autograd:
rows are examples, z_l = a_{l-1} W_l^T + b_l, a_l = sigmoid(z_l), and

    delta_L = (a_L - y) * a_L * (1 - a_L)
    delta_l = (delta_{l+1} W_{l+1}) * a_l * (1 - a_l)
    W_l <- W_l - (eta/m) delta_l^T a_{l-1},  b_l <- b_l - (eta/m) delta_l^T 1

Training data lives on the device; mini-batches are gathered there by index.
With `torchscript`, the epoch's loop over mini-batches runs in TorchScript, so
each of the ~20 tensor operations of a step is dispatched without Python.
On CUDA, runs of up to `graph_steps` mini-batches are replayed as CUDA graphs
(impls/cuda_graphs.py); `graph_fraction` says what share of the steps were.
"""

import warnings
from functools import cache

import torch
from torch import Tensor

from impls.cuda_graphs import GraphedSteps


def backprop(
    x: Tensor, y: Tensor, weights: list[Tensor], biases: list[Tensor]
) -> tuple[list[Tensor], list[Tensor]]:
    """Activations [a_0 = x, ..., a_L] and deltas [delta_1, ..., delta_L] of a mini-batch."""
    activations = [x]
    for w, b in zip(weights, biases):
        activations.append(torch.addmm(b, activations[-1], w.t()).sigmoid_())
    # sigmoid_backward(g, a) = g * a * (1 - a): sigma'(z) from the stored activation
    deltas = [torch.ops.aten.sigmoid_backward(activations[-1] - y, activations[-1])]
    for layer in range(len(weights) - 1, 0, -1):
        deltas.insert(0, torch.ops.aten.sigmoid_backward(deltas[0] @ weights[layer], activations[layer]))
    return activations, deltas


def update_mini_batch(
    x: Tensor, y: Tensor, weights: list[Tensor], biases: list[Tensor], ones: Tensor, eta: float
) -> None:
    activations, deltas = backprop(x, y, weights, biases)
    step = -eta / x.shape[0]
    for layer in range(len(weights)):
        weights[layer].addmm_(deltas[layer].t(), activations[layer], alpha=step)
        biases[layer].addmv_(deltas[layer].t(), ones, alpha=step)


def sgd_epoch(
    train_x: Tensor,
    train_y: Tensor,
    order: Tensor,
    weights: list[Tensor],
    biases: list[Tensor],
    ones: Tensor,
    batch_size: int,
    eta: float,
) -> None:
    for start in range(0, order.shape[0], batch_size):
        batch = order[start : start + batch_size]
        x, y = train_x.index_select(0, batch), train_y.index_select(0, batch)
        update_mini_batch(x, y, weights, biases, ones[: batch.shape[0]], eta)


@cache
def scripted_sgd_epoch():
    with warnings.catch_warnings():
        # torch.jit.script is deprecated in favour of torch.compile, which on the CPU runs this
        # step slower than eager (README: "Why batch 10 is far from the hardware").
        warnings.simplefilter("ignore", DeprecationWarning)
        return torch.jit.script(sgd_epoch)


class TorchBackprop:
    devices = ("cpu", "cuda")
    framework = "torch"

    @torch.no_grad()
    def __init__(
        self,
        params,
        train_x,
        train_y,
        device="cpu",
        dtype="float32",
        torchscript=True,
        cuda_graphs=True,
        graph_steps=100,
    ):
        self.device = torch.device(device)
        self.sgd_epoch = scripted_sgd_epoch() if torchscript else sgd_epoch
        self.graphs = GraphedSteps(cuda_graphs and self.device.type == "cuda", graph_steps, self.device)
        self.dtype = getattr(torch, dtype)
        # torch.tensor copies: training must never write into the caller's arrays.
        self.weights = [torch.tensor(w, dtype=self.dtype, device=self.device) for w in params[0::2]]
        self.biases = [torch.tensor(b, dtype=self.dtype, device=self.device) for b in params[1::2]]
        self.n_out = self.weights[-1].shape[0]
        self.train_x, labels = self.place(train_x, train_y)
        self.train_y = self.one_hot(labels)
        self.ones_cache = {}

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
    def graph_fraction(self):
        return self.graphs.fraction

    @torch.no_grad()
    def prepare_training(self, batch_size, eta):
        """Capture the CUDA graph, and run the TorchScript loop twice on a few mini-batches, since
        its profiling executor optimises on the second call; then put the parameters back."""
        saved = [p.clone() for p in self.weights + self.biases]
        self.train_in_graphs(order=torch.empty(0, dtype=torch.long), batch_size=batch_size, eta=eta)
        few = torch.arange(3 * batch_size, device=self.device) % len(self.train_x)
        for _ in range(2):
            self.sgd_epoch(
                self.train_x,
                self.train_y,
                few,
                self.weights,
                self.biases,
                self.ones(batch_size),
                batch_size,
                eta,
            )
        for p, value in zip(self.weights + self.biases, saved):
            p.copy_(value)

    @torch.no_grad()
    def train_epoch(self, order, batch_size, eta):
        order = torch.as_tensor(order).to(self.device)
        done = self.train_in_graphs(order, batch_size, eta)
        rest, ones = order[done:], self.ones(batch_size)
        self.sgd_epoch(self.train_x, self.train_y, rest, self.weights, self.biases, ones, batch_size, eta)

    def train_in_graphs(self, order, batch_size, eta):
        ones = self.ones(batch_size)  # made eagerly: a tensor first made inside capture is unfilled

        def step(batch):
            x, y = self.train_x.index_select(0, batch), self.train_y.index_select(0, batch)
            update_mini_batch(x, y, self.weights, self.biases, ones, eta)

        return self.graphs.train(order, batch_size, eta, len(self.train_x), step, self.weights + self.biases)

    def ones(self, m):
        """A vector of m ones, kept: captured CUDA graphs go on reading it."""
        if m not in self.ones_cache:
            self.ones_cache[m] = torch.ones(m, dtype=self.dtype, device=self.device)
        return self.ones_cache[m]

    @torch.no_grad()
    def gradients(self, x, y):
        """Sums over the examples of dC/dW and dC/db, as [dW1, db1, dW2, db2, ...]."""
        activations, deltas = backprop(x, self.one_hot(y), self.weights, self.biases)
        grads = []
        for delta, a_in in zip(deltas, activations):
            grads += [delta.T @ a_in, delta.sum(0)]
        return grads

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
