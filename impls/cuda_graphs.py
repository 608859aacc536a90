"""CUDA graphs for training loops of small steps, shared by the torch implementations.

At small mini-batches a GPU waits on kernel launches, not arithmetic. A run of
`steps` training steps is captured once as a CUDA graph and replayed over each
whole chunk of the epoch's order; what is left over runs eagerly. When capture
fails, training falls back to eager execution and `enabled` turns False.
"""

import warnings

import torch


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


class GraphedSteps:
    def __init__(self, enabled: bool, steps: int, device: torch.device):
        self.enabled = enabled
        self.steps = steps
        self.device = device
        self.graphs = {}

    def chunk(self, batch_size, eta, step, parameters):
        """The order buffer and replay of `steps` captured calls of step(batch) (None if capture failed)."""
        if (batch_size, eta) not in self.graphs:
            chunk_order = torch.zeros(self.steps * batch_size, dtype=torch.long, device=self.device)

            def run_chunk():
                for batch in chunk_order.view(self.steps, batch_size):
                    step(batch)

            # Warm-up before capture trains for real, so the parameters are put back after it.
            with torch.no_grad():
                saved = [p.detach().clone() for p in parameters]
            try:
                replay = capture_graph(run_chunk)
            except RuntimeError as e:
                warnings.warn(f"CUDA graph capture failed, training eagerly: {e}", stacklevel=2)
                self.enabled, replay = False, None
            with torch.no_grad():
                for p, value in zip(parameters, saved):
                    p.copy_(value)
            self.graphs[batch_size, eta] = chunk_order, replay
        return self.graphs[batch_size, eta]

    def train(self, order, batch_size, eta, step, parameters) -> int:
        """Replay the captured chunk over every whole chunk of `order`; return the examples it took."""
        if not self.enabled:
            return 0
        chunk_order, replay = self.chunk(batch_size, eta, step, parameters)
        done = 0
        while replay and done + len(chunk_order) <= len(order):
            chunk_order.copy_(order[done : done + len(chunk_order)])
            replay()
            done += len(chunk_order)
        return done
