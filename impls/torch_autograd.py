"""Nielsen's network the idiomatic PyTorch way: nn.Module, autograd, optim.SGD.

The cost sum((a - y)^2) / 2 / m has gradient (1/m) * (sum of per-example
gradients), so SGD with lr = eta performs Nielsen's update exactly.

On CUDA, runs of `graph_steps` training steps (forward, backward and optimiser
step) are captured once as a CUDA graph and replayed, as in PyTorch's
whole-network capture; capture that fails falls back to eager execution, and
`cuda_graphs` says which path ran.
"""

import warnings

import torch
from torch import nn


def capture_graph(run, warmup_runs=2):
    """Capture `run` as a CUDA graph, after warm-up on a side stream; return its replay."""
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        for _ in range(warmup_runs):
            run()
    torch.cuda.current_stream().wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        run()
    return graph.replay


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

    def __init__(
        self, params, train_x, train_y, device="cpu", dtype="float32", cuda_graphs=True, graph_steps=100
    ):
        self.device = torch.device(device)
        self.cuda_graphs = cuda_graphs and self.device.type == "cuda"
        self.graph_steps = graph_steps
        self.graphs = {}
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

    def prepare_training(self, batch_size, eta):
        if self.cuda_graphs:
            self.chunk_graph(batch_size, eta)

    def train_epoch(self, order, batch_size, eta):
        for group in self.optimizer.param_groups:
            group["lr"] = eta
        order = torch.as_tensor(order).to(self.device)
        done = self.train_in_graphs(order, batch_size, eta) if self.cuda_graphs else 0
        for batch in torch.split(order[done:], batch_size):
            self.train_step(batch)

    def train_in_graphs(self, order, batch_size, eta):
        """Replay the captured chunk over every whole chunk of `order`; return the examples it took."""
        chunk_order, replay = self.chunk_graph(batch_size, eta)
        done = 0
        while replay and done + len(chunk_order) <= len(order):
            chunk_order.copy_(order[done : done + len(chunk_order)])
            replay()
            done += len(chunk_order)
        return done

    def chunk_graph(self, batch_size, eta):
        """The order buffer and the replay of `graph_steps` captured steps (None if capture failed)."""
        if (batch_size, eta) not in self.graphs:
            chunk_order = torch.zeros(self.graph_steps * batch_size, dtype=torch.long, device=self.device)

            def run_chunk():
                for batch in chunk_order.view(self.graph_steps, batch_size):
                    self.train_step(batch)

            for group in self.optimizer.param_groups:
                group["lr"] = eta
            # Warm-up before capture trains for real, so the parameters are put back after it.
            saved = [p.detach().clone() for p in self.model.parameters()]
            try:
                replay = capture_graph(run_chunk)
            except RuntimeError as e:
                warnings.warn(f"CUDA graph capture failed, training eagerly: {e}", stacklevel=2)
                self.cuda_graphs, replay = False, None
            with torch.no_grad():
                for p, value in zip(self.model.parameters(), saved):
                    p.copy_(value)
            self.graphs[batch_size, eta] = chunk_order, replay
        return self.graphs[batch_size, eta]

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
