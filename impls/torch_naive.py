"""The PyTorch loop a tutorial teaches: nn.Sequential, TensorDataset, DataLoader, optim.SGD.

It computes the same thing as every other implementation (same cost, same
update, same batch order, passed in as the DataLoader's sampler) and is here
as the peer the tuned backends are measured against: code as a user would
first write it, at torch's default thread count.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


class TorchNaive:
    devices = ("cpu", "cuda")
    framework = "torch"

    def __init__(self, params, train_x, train_y, device="cpu", dtype="float32"):
        self.device = torch.device(device)
        self.dtype = getattr(torch, dtype)
        sizes = [params[0].shape[1]] + [w.shape[0] for w in params[0::2]]
        layers = []
        for n_in, n_out in zip(sizes, sizes[1:]):
            layers += [nn.Linear(n_in, n_out), nn.Sigmoid()]
        self.model = nn.Sequential(*layers).to(self.device, self.dtype)
        with torch.no_grad():
            for p, value in zip(self.model.parameters(), params):
                p.copy_(torch.as_tensor(value))
        self.n_out = sizes[-1]
        self.dataset = TensorDataset(torch.tensor(train_x, dtype=self.dtype), torch.tensor(train_y))
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=1.0)

    def one_hot(self, labels):
        return nn.functional.one_hot(labels, self.n_out).to(self.dtype)

    def place(self, x, y):
        return torch.tensor(x, dtype=self.dtype, device=self.device), torch.tensor(y, device=self.device)

    def train_epoch(self, order, batch_size, eta):
        for group in self.optimizer.param_groups:
            group["lr"] = eta
        loader = DataLoader(self.dataset, batch_size=batch_size, sampler=order.tolist())
        for x, labels in loader:
            x, labels = x.to(self.device), labels.to(self.device)
            y = self.one_hot(labels)
            loss = ((self.model(x) - y) ** 2).sum() / 2 / len(x)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()

    @torch.no_grad()
    def forward(self, x):
        return self.model(x)

    def gradients(self, x, y):
        """Sums over the examples of dC/dW and dC/db, as [dW1, db1, dW2, db2, ...]."""
        self.model.zero_grad()
        loss = ((self.model(x) - self.one_hot(y)) ** 2).sum() / 2
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
