"""The PyTorch loop a tutorial teaches: nn.Sequential, TensorDataset, DataLoader, optim.SGD.

It computes the same thing as every other implementation (same cost, same
update, same batch order, passed in as the DataLoader's sampler) and is here
as the peer the tuned backends are measured against: code as a user would
first write it, at torch's default thread count.

Chapter 3's settings are torch's built-ins, as in impls/torch_autograd.py: the
cross-entropy is nn.BCEWithLogitsLoss and softmax with the log-likelihood
nn.CrossEntropyLoss, both on the last layer's z (the Sequential then ends in
nn.Linear, and `forward` applies the output neuron); L2 is optim.SGD's
weight_decay = lmbda/n on the weights alone, momentum is its momentum.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

ACTIVATIONS = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU}


def quadratic_loss(a, y):
    """Nielsen's C = 1/2 ||a - y||^2, summed over the examples."""
    return ((a - y) ** 2).sum() / 2


class TorchNaive:
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
    ):
        self.device = torch.device(device)
        self.dtype = getattr(torch, dtype)
        sizes = [params[0].shape[1]] + [w.shape[0] for w in params[0::2]]
        layers = []
        for n_in, n_out in zip(sizes[:-2], sizes[1:-1]):
            layers += [nn.Linear(n_in, n_out), ACTIVATIONS[activation]()]
        layers.append(nn.Linear(sizes[-2], sizes[-1]))

        self.softmax = output == "softmax"
        if self.softmax:
            self.loss_fn, self.output = nn.CrossEntropyLoss(reduction="sum"), nn.Softmax(dim=1)
        elif cost == "cross_entropy":
            self.loss_fn, self.output = nn.BCEWithLogitsLoss(reduction="sum"), nn.Sigmoid()
        else:  # chapter 1's: the Sequential ends in the sigmoid, and the loss reads a_L
            layers.append(nn.Sigmoid())
            self.loss_fn, self.output = quadratic_loss, nn.Identity()

        self.model = nn.Sequential(*layers).to(self.device, self.dtype)
        with torch.no_grad():
            for p, value in zip(self.model.parameters(), params):
                p.copy_(torch.as_tensor(value))
        self.n_out = sizes[-1]
        self.dataset = TensorDataset(torch.tensor(train_x, dtype=self.dtype), torch.tensor(train_y))
        weights = [p for name, p in self.model.named_parameters() if name.endswith("weight")]
        biases = [p for name, p in self.model.named_parameters() if name.endswith("bias")]
        groups = [{"params": weights, "weight_decay": lmbda / len(train_x)}, {"params": biases}]
        self.optimizer = torch.optim.SGD(
            groups if lmbda else self.model.parameters(), lr=1.0, momentum=momentum
        )

    def targets(self, labels):
        """The labels for CrossEntropyLoss, else one-hot rows."""
        return labels if self.softmax else nn.functional.one_hot(labels, self.n_out).to(self.dtype)

    def place(self, x, y):
        return torch.tensor(x, dtype=self.dtype, device=self.device), torch.tensor(y, device=self.device)

    def train_epoch(self, order, batch_size, eta):
        for group in self.optimizer.param_groups:
            group["lr"] = eta
        loader = DataLoader(self.dataset, batch_size=batch_size, sampler=order.tolist())
        for x, labels in loader:
            x, labels = x.to(self.device), labels.to(self.device)
            loss = self.loss_fn(self.model(x), self.targets(labels)) / len(x)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()

    @torch.no_grad()
    def forward(self, x):
        return self.output(self.model(x))

    def gradients(self, x, y):
        """Sums over the examples of dC/dW and dC/db, as [dW1, db1, dW2, db2, ...]."""
        self.model.zero_grad()
        self.loss_fn(self.model(x), self.targets(y)).backward()
        return [p.grad for p in self.model.parameters()]

    @torch.no_grad()
    def evaluate(self, x, y):
        return int((self.forward(x).argmax(dim=1) == y).sum())

    @torch.no_grad()
    def cost(self, x, y):
        """Mean cost over the examples, in float64."""
        targets = self.targets(y)
        targets = targets.double() if targets.is_floating_point() else targets
        return float(self.loss_fn(self.model(x).double(), targets) / len(x))

    def parameters(self):
        return [p.detach().double().cpu().numpy() for p in self.model.parameters()]

    def synchronize(self):
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
