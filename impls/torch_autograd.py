"""Nielsen's network the idiomatic PyTorch way: nn.Module, autograd, optim.SGD.

The cost sum((a - y)^2) / 2 / m has gradient (1/m) * (sum of per-example
gradients), so SGD with lr = eta performs Nielsen's update exactly.

On CUDA, runs of up to `graph_steps` whole training steps (forward, backward
and optimiser step, as in PyTorch's whole-network capture) are replayed as CUDA
graphs (impls/cuda_graphs.py); `graph_fraction` says what share of the steps were.
"""

import torch
from torch import nn

from impls.cuda_graphs import GraphedSteps


class SigmoidMLP(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(n_in, n_out) for n_in, n_out in zip(sizes, sizes[1:]))

    def forward(self, a):
        for layer in self.layers:
            a = torch.sigmoid(layer(a))
        return a


class TorchAutograd:
    devices = ("cpu", "cuda")
    framework = "torch"

    def __init__(
        self, params, train_x, train_y, device="cpu", dtype="float32", cuda_graphs=True, graph_steps=100
    ):
        self.device = torch.device(device)
        self.graphs = GraphedSteps(cuda_graphs and self.device.type == "cuda", graph_steps, self.device)
        self.dtype = getattr(torch, dtype)
        sizes = [params[0].shape[1]] + [w.shape[0] for w in params[0::2]]
        self.model = SigmoidMLP(sizes).to(self.device, self.dtype)
        with torch.no_grad():
            for p, value in zip(self.model.parameters(), params):
                p.copy_(torch.as_tensor(value))
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=1.0)
        self.train_x, self.train_y = self.place(train_x, train_y)
        self.train_targets = self.one_hot(self.train_y)

    def one_hot(self, labels):
        return nn.functional.one_hot(labels.long(), self.model.layers[-1].out_features).to(self.dtype)

    def place(self, x, y):
        return (
            torch.as_tensor(x, dtype=self.dtype).to(self.device),
            torch.as_tensor(y).to(self.device),
        )

    def train_step(self, batch):
        x, y = self.train_x.index_select(0, batch), self.train_targets.index_select(0, batch)
        loss = (self.model(x) - y).pow(2).sum() * (0.5 / len(batch))
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
        parameters = list(self.model.parameters())
        return self.graphs.train(order, batch_size, eta, len(self.train_x), self.train_step, parameters)

    @torch.no_grad()
    def forward(self, x):
        return self.model(x)

    def gradients(self, x, y):
        """Sums over the examples of dC/dW and dC/db, as [dW1, db1, dW2, db2, ...]."""
        self.model.zero_grad()
        loss = (self.model(x) - self.one_hot(y)).pow(2).sum() / 2
        loss.backward()
        return [p.grad for p in self.model.parameters()]

    @torch.no_grad()
    def evaluate(self, x, y):
        return int((self.model(x).argmax(dim=1) == y).sum())

    @torch.no_grad()
    def cost(self, x, y):
        diff = self.model(x) - self.one_hot(y)
        return float(0.5 * diff.double().pow(2).sum() / len(x))

    def parameters(self):
        return [p.detach().double().cpu().numpy() for p in self.model.parameters()]

    def synchronize(self):
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
