"""Nielsen's network the idiomatic PyTorch way: nn.Module, autograd, torch's losses and optim.SGD.

The loss is a mini-batch's mean cost, sum(C) / m, whose gradient is (1/m) * (sum
of per-example gradients), so SGD with lr = eta performs Nielsen's update exactly.
Chapter 3's settings are torch's built-ins:

- the quadratic cost is half of nn.MSELoss's sum; the cross-entropy is
  nn.BCEWithLogitsLoss on z_L, and softmax with the log-likelihood
  nn.CrossEntropyLoss on z_L: the book's costs, whose gradient from z_L is a_L - y.
- L2: optim.SGD's weight_decay = lmbda/n, on the weights alone (a parameter group
  of its own): it adds (lmbda/n) W to the gradient, so W <- (1 - eta*lmbda/n) W - (eta/m) g.
- momentum: optim.SGD's momentum, buf <- mu buf + grad, p <- p - lr buf. That is
  the book's v <- mu v - eta grad, p <- p + v with v = -lr buf while lr = eta stays
  the same from step to step, as it does in a run; the two differ only in rounding.

On CUDA, runs of up to `graph_steps` whole training steps (forward, backward
and optimiser step, as in PyTorch's whole-network capture) are replayed as CUDA
graphs (impls/cuda_graphs.py); `graph_fraction` says what share of the steps were.
"""

import torch
from torch import nn

from .cuda_graphs import GraphedSteps


class MLP(nn.Module):
    def __init__(self, sizes, activation, output):
        super().__init__()
        layers = [nn.Linear(n_in, n_out) for n_in, n_out in zip(sizes, sizes[1:])]
        self.hidden, self.last = nn.ModuleList(layers[:-1]), layers[-1]
        self.activation = getattr(torch, activation)  # the hidden layers': torch.sigmoid, tanh or relu
        self.output = nn.Softmax(dim=1) if output == "softmax" else torch.sigmoid

    def logits(self, a):
        """z_L, the output layer's input."""
        for layer in self.hidden:
            a = self.activation(layer(a))
        return self.last(a)

    def forward(self, a):
        return self.output(self.logits(a))


class TorchAutograd:
    devices = ("cpu", "cuda")
    framework = "torch"

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
        cuda_graphs=True,
        graph_steps=100,
    ):
        self.device = torch.device(device)
        self.graphs = GraphedSteps(cuda_graphs and self.device.type == "cuda", graph_steps, self.device)
        self.dtype = getattr(torch, dtype)
        sizes = [params[0].shape[1]] + [w.shape[0] for w in params[0::2]]
        self.model = MLP(sizes, activation, output).to(self.device, self.dtype)
        with torch.no_grad():
            for p, value in zip(self.model.parameters(), params):
                p.copy_(torch.as_tensor(value))

        self.softmax = output == "softmax"
        # A mini-batch's summed cost is `factor` times the loss, which reads a_L or z_L.
        if self.softmax:
            self.loss, self.factor = nn.CrossEntropyLoss(reduction="sum"), 1.0
            self.outputs = self.model.logits
        elif cost == "cross_entropy":
            self.loss, self.factor = nn.BCEWithLogitsLoss(reduction="sum"), 1.0
            self.outputs = self.model.logits
        else:  # C = 1/2 ||a - y||^2, half of MSELoss's sum of squares
            self.loss, self.factor = nn.MSELoss(reduction="sum"), 0.5
            self.outputs = self.model

        layers = [*self.model.hidden, self.model.last]
        groups = [
            {"params": [layer.weight for layer in layers], "weight_decay": lmbda / len(train_x)},
            {"params": [layer.bias for layer in layers]},  # never regularised
        ]
        self.optimizer = torch.optim.SGD(
            groups if lmbda else self.model.parameters(), lr=1.0, momentum=momentum
        )
        # Momentum's velocities (optim.SGD's buffers, which it updates in place) start at zero, made
        # here rather than at the first step, so that capture's warm-up can put them back.
        self.velocities = [torch.zeros_like(p) for p in self.model.parameters()] if momentum else []
        for p, velocity in zip(self.model.parameters(), self.velocities):
            self.optimizer.state[p]["momentum_buffer"] = velocity

        self.train_x, self.train_y = self.place(train_x, train_y)
        self.train_targets = self.targets(self.train_y)

    def targets(self, labels):
        """What the loss compares the outputs with: the labels for CrossEntropyLoss, else one-hot rows."""
        if self.softmax:
            return labels.long()
        return nn.functional.one_hot(labels.long(), self.model.last.out_features).to(self.dtype)

    def place(self, x, y):
        return (
            torch.as_tensor(x, dtype=self.dtype).to(self.device),
            torch.as_tensor(y).to(self.device),
        )

    def train_step(self, batch):
        x, y = self.train_x.index_select(0, batch), self.train_targets.index_select(0, batch)
        loss = self.loss(self.outputs(x), y) * (self.factor / len(batch))
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()

    @property
    def graph_fraction(self):
        return self.graphs.fraction

    def prepare_training(self, batch_size, eta):
        self.train_in_graphs(torch.empty(0, dtype=torch.long), batch_size, eta)

    def train_epoch(self, order, batch_size, eta):
        order = torch.as_tensor(order).to(self.device)
        done = self.train_in_graphs(order, batch_size, eta)
        for start in range(done, len(order), batch_size):
            self.train_step(order[start : start + batch_size])

    def train_in_graphs(self, order, batch_size, eta):
        for group in self.optimizer.param_groups:
            group["lr"] = eta
        state = [*self.model.parameters(), *self.velocities]
        return self.graphs.train(order, batch_size, eta, len(self.train_x), self.train_step, state)

    @torch.no_grad()
    def forward(self, x):
        return self.model(x)

    def gradients(self, x, y):
        """Sums over the examples of dC/dW and dC/db, as [dW1, db1, dW2, db2, ...]."""
        self.model.zero_grad()
        (self.loss(self.outputs(x), self.targets(y)) * self.factor).backward()
        return [p.grad for p in self.model.parameters()]

    @torch.no_grad()
    def evaluate(self, x, y):
        return int((self.model(x).argmax(dim=1) == y).sum())

    @torch.no_grad()
    def cost(self, x, y):
        """Mean cost over the examples, in float64."""
        targets = self.targets(y)
        targets = targets.double() if targets.is_floating_point() else targets
        return float(self.loss(self.outputs(x).double(), targets) * self.factor / len(x))

    def parameters(self):
        return [p.detach().double().cpu().numpy() for p in self.model.parameters()]

    def synchronize(self):
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
