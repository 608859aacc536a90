"""Nielsen's network on torch tensors, with backprop written by hand.

The same matrix equations as the vectorised NumPy version, without autograd:
rows are examples, z_l = a_{l-1} W_l^T + b_l, a_l = f(z_l), and at chapter 1's
settings (f the sigmoid everywhere, the quadratic cost)

    delta_L = (a_L - y) * a_L * (1 - a_L)
    delta_l = (delta_{l+1} W_{l+1}) * a_l * (1 - a_l)
    W_l <- W_l - (eta/m) delta_l^T a_{l-1},  b_l <- b_l - (eta/m) delta_l^T 1

Chapter 3's settings change f' of the hidden layers, the output delta (a_L - y for
the cross-entropy and for softmax with the log-likelihood) and the update (L2,
momentum), as impls.Network says. They are constants of the `Backprop` module:
scripted, TorchScript drops the branches they rule out, so the default network
runs chapter 1's operations alone.

Training data lives on the device; mini-batches are gathered there by index.
With `torchscript`, the epoch's loop over mini-batches runs in TorchScript, so
each of the ~20 tensor operations of a step is dispatched without Python.
On CUDA, runs of up to `graph_steps` mini-batches are replayed as CUDA graphs
(impls/cuda_graphs.py); `graph_fraction` says what share of the steps were.
"""

import warnings
from functools import cache
from typing import Final

import torch
from torch import Tensor
from torch.nn import functional

from .cuda_graphs import GraphedSteps


class Backprop(torch.nn.Module):
    """Backprop and the SGD epoch of one network's settings (its parameters are passed in)."""

    activation: Final[str]
    output: Final[str]
    cost: Final[str]
    momentum: Final[float]

    def __init__(self, activation: str, output: str, cost: str, momentum: float):
        super().__init__()
        self.activation, self.output, self.cost, self.momentum = activation, output, cost, momentum

    def hidden(self, z: Tensor) -> Tensor:
        """The hidden layers' activation, in place."""
        if self.activation == "tanh":
            return z.tanh_()
        if self.activation == "relu":
            return z.relu_()
        return z.sigmoid_()

    def hidden_backward(self, g: Tensor, a: Tensor) -> Tensor:
        """g * f'(z), with f'(z) from the stored activation a = f(z)."""
        if self.activation == "tanh":
            return torch.ops.aten.tanh_backward(g, a)  # g * (1 - a^2)
        if self.activation == "relu":
            return torch.ops.aten.threshold_backward(g, a, 0.0)  # g where a > 0, else 0
        return torch.ops.aten.sigmoid_backward(g, a)  # g * a * (1 - a)

    def output_layer(self, z: Tensor) -> Tensor:
        if self.output == "softmax":
            return z.softmax(1)
        return z.sigmoid_()

    def output_delta(self, a: Tensor, y: Tensor) -> Tensor:
        if self.output == "sigmoid" and self.cost == "quadratic":
            return torch.ops.aten.sigmoid_backward(a - y, a)
        return a - y  # the cross-entropy, and softmax with the log-likelihood: sigma'(z) cancels

    def backprop(
        self, x: Tensor, y: Tensor, weights: list[Tensor], biases: list[Tensor]
    ) -> tuple[list[Tensor], list[Tensor]]:
        """Activations [a_0 = x, ..., a_L] and deltas [delta_1, ..., delta_L] of a mini-batch."""
        activations = [x]
        for layer in range(len(weights) - 1):
            activations.append(self.hidden(torch.addmm(biases[layer], activations[-1], weights[layer].t())))
        activations.append(self.output_layer(torch.addmm(biases[-1], activations[-1], weights[-1].t())))
        deltas = [self.output_delta(activations[-1], y)]
        for layer in range(len(weights) - 1, 0, -1):
            deltas.insert(0, self.hidden_backward(deltas[0] @ weights[layer], activations[layer]))
        return activations, deltas

    def update_mini_batch(
        self,
        x: Tensor,
        y: Tensor,
        weights: list[Tensor],
        biases: list[Tensor],
        weight_velocities: list[Tensor],
        bias_velocities: list[Tensor],
        ones: Tensor,
        eta: float,
        decay: float,
    ) -> None:
        """One SGD step; decay = eta*lmbda/n, the L2 term's share of W (0 without L2)."""
        activations, deltas = self.backprop(x, y, weights, biases)
        step, shrink = -eta / x.shape[0], 1.0 - decay
        for layer in range(len(weights)):
            delta, a_in = deltas[layer].t(), activations[layer]
            if self.momentum == 0.0:
                weights[layer].addmm_(delta, a_in, beta=shrink, alpha=step)
                biases[layer].addmv_(delta, ones, alpha=step)
            else:
                v_w, v_b = weight_velocities[layer], bias_velocities[layer]
                v_w.addmm_(delta, a_in, beta=self.momentum, alpha=step).add_(weights[layer], alpha=-decay)
                v_b.addmv_(delta, ones, beta=self.momentum, alpha=step)
                weights[layer].add_(v_w)
                biases[layer].add_(v_b)

    def forward(
        self,
        train_x: Tensor,
        train_y: Tensor,
        order: Tensor,
        weights: list[Tensor],
        biases: list[Tensor],
        weight_velocities: list[Tensor],
        bias_velocities: list[Tensor],
        ones: Tensor,
        batch_size: int,
        eta: float,
        decay: float,
    ) -> None:
        """SGD over the mini-batches of `order`."""
        for start in range(0, order.shape[0], batch_size):
            batch = order[start : start + batch_size]
            x, y = train_x.index_select(0, batch), train_y.index_select(0, batch)
            self.update_mini_batch(
                x, y, weights, biases, weight_velocities, bias_velocities, ones[: batch.shape[0]], eta, decay
            )


@cache
def scripted(backprop: Backprop):
    with warnings.catch_warnings():
        # torch.jit.script is deprecated in favour of torch.compile, which on the CPU runs this
        # step slower than eager (docs/reading-the-report.md: "Why batch 10 is far from the hardware").
        warnings.simplefilter("ignore", DeprecationWarning)
        return torch.jit.script(backprop)


@cache
def backprop_for(activation: str, output: str, cost: str, momentum: float) -> Backprop:
    """One module per settings, so that each is scripted once per process."""
    return Backprop(activation, output, cost, momentum)


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
        cost="quadratic",
        output="sigmoid",
        lmbda=0.0,
        activation="sigmoid",
        momentum=0.0,
        torchscript=True,
        cuda_graphs=True,
        graph_steps=100,
    ):
        self.device = torch.device(device)
        self.backprop = backprop_for(activation, output, cost, float(momentum))
        self.sgd_epoch = scripted(self.backprop) if torchscript else self.backprop
        self.graphs = GraphedSteps(cuda_graphs and self.device.type == "cuda", graph_steps, self.device)
        self.dtype = getattr(torch, dtype)
        # torch.tensor copies: training must never write into the caller's arrays.
        self.weights = [torch.tensor(w, dtype=self.dtype, device=self.device) for w in params[0::2]]
        self.biases = [torch.tensor(b, dtype=self.dtype, device=self.device) for b in params[1::2]]
        # Momentum's velocities, zero at the start; none without momentum.
        self.weight_velocities = [torch.zeros_like(w) for w in self.weights] if momentum else []
        self.bias_velocities = [torch.zeros_like(b) for b in self.biases] if momentum else []
        self.lmbda = lmbda
        self.n_out = self.weights[-1].shape[0]
        self.train_x, labels = self.place(train_x, train_y)
        self.train_y = self.one_hot(labels)
        self.ones_cache = {}

    def one_hot(self, labels):
        return torch.nn.functional.one_hot(labels.long(), self.n_out).to(self.dtype)

    def place(self, x, y):
        return torch.as_tensor(x, dtype=self.dtype).to(self.device), torch.as_tensor(y).to(self.device)

    def trained(self):
        """Weights, biases and their velocities, as the training step takes them."""
        return self.weights, self.biases, self.weight_velocities, self.bias_velocities

    def state(self):
        """Every tensor training changes."""
        return [t for tensors in self.trained() for t in tensors]

    def decay(self, eta):
        return eta * self.lmbda / len(self.train_x)

    @torch.no_grad()
    def logits(self, a):
        for w, b in zip(self.weights[:-1], self.biases[:-1]):
            a = self.backprop.hidden(torch.addmm(b, a, w.T))
        return torch.addmm(self.biases[-1], a, self.weights[-1].T)

    @torch.no_grad()
    def forward(self, a):
        return self.backprop.output_layer(self.logits(a))

    @property
    def graph_fraction(self):
        return self.graphs.fraction

    @torch.no_grad()
    def prepare_training(self, batch_size, eta):
        """Capture the CUDA graph, and run the TorchScript loop twice on a few mini-batches, since
        its profiling executor optimises on the second call; then put the parameters (and the
        velocities, zero) back."""
        saved = [t.clone() for t in self.state()]
        self.train_in_graphs(order=torch.empty(0, dtype=torch.long), batch_size=batch_size, eta=eta)
        few = torch.arange(3 * batch_size, device=self.device) % len(self.train_x)
        for _ in range(2):
            self.run_epoch(few, batch_size, eta)
        for t, value in zip(self.state(), saved):
            t.copy_(value)

    @torch.no_grad()
    def train_epoch(self, order, batch_size, eta):
        order = torch.as_tensor(order).to(self.device)
        done = self.train_in_graphs(order, batch_size, eta)
        self.run_epoch(order[done:], batch_size, eta)

    def run_epoch(self, order, batch_size, eta):
        ones, decay = self.ones(batch_size), self.decay(eta)
        self.sgd_epoch(self.train_x, self.train_y, order, *self.trained(), ones, batch_size, eta, decay)

    def train_in_graphs(self, order, batch_size, eta):
        ones = self.ones(batch_size)  # made eagerly: a tensor first made inside capture is unfilled
        decay = self.decay(eta)

        def step(batch):
            x, y = self.train_x.index_select(0, batch), self.train_y.index_select(0, batch)
            self.backprop.update_mini_batch(x, y, *self.trained(), ones, eta, decay)

        return self.graphs.train(order, batch_size, eta, len(self.train_x), step, self.state())

    def ones(self, m):
        """A vector of m ones, kept: captured CUDA graphs go on reading it."""
        if m not in self.ones_cache:
            self.ones_cache[m] = torch.ones(m, dtype=self.dtype, device=self.device)
        return self.ones_cache[m]

    @torch.no_grad()
    def gradients(self, x, y):
        """Sums over the examples of dC/dW and dC/db, as [dW1, db1, dW2, db2, ...]."""
        activations, deltas = self.backprop.backprop(x, self.one_hot(y), self.weights, self.biases)
        grads = []
        for delta, a_in in zip(deltas, activations):
            grads += [delta.T @ a_in, delta.sum(0)]
        return grads

    @torch.no_grad()
    def evaluate(self, x, y):
        return int((self.forward(x).argmax(dim=1) == y).sum())

    @torch.no_grad()
    def cost(self, x, y):
        """Mean cost over the examples, in float64; the logarithms from z_L, where they stay finite."""
        z, y = self.logits(x), self.one_hot(y).double()
        if self.backprop.output == "softmax":
            total = -(y * z.double().log_softmax(1)).sum()
        elif self.backprop.cost == "cross_entropy":
            z = z.double()  # ln a = ln sigmoid(z), ln(1 - a) = ln sigmoid(-z)
            total = -(y * functional.logsigmoid(z) + (1 - y) * functional.logsigmoid(-z)).sum()
        else:
            total = 0.5 * (z.sigmoid_().double() - y).pow(2).sum()
        return float(total / len(x))

    def parameters(self):
        params = []
        for w, b in zip(self.weights, self.biases):
            params += [w.double().cpu().numpy(), b.double().cpu().numpy()]
        return params

    def synchronize(self):
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
