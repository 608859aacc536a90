# expect: exit 2
# shows: class Net is a torch.nn.Module, trained by autograd rather than a backprop of its own
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))

    def forward(self, x):
        for layer in self.layers:
            x = torch.sigmoid(layer(x))
        return x

    def update_mini_batch(self, mini_batch, eta):
        x = torch.stack([torch.as_tensor(a).flatten() for a, _ in mini_batch])
        y = torch.stack([torch.as_tensor(t).flatten() for _, t in mini_batch])
        loss = 0.5 * ((self(x) - y) ** 2).sum() / len(mini_batch)
        self.zero_grad()
        loss.backward()
        with torch.no_grad():
            for p in self.parameters():
                p -= eta * p.grad
