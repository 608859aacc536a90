"""CUDA graphs for training loops of small steps, shared by the torch implementations.

At small mini-batches a GPU waits on kernel launches, not arithmetic. A run of
training steps, at most `steps` and never more than one epoch holds, is
captured once as a CUDA graph and replayed over each whole chunk of the epoch's
order; what is left over runs eagerly. `fraction` is the share of the last
epoch's steps that were replayed. When capture fails, training falls back to
eager execution, `enabled` turns False, and the run's log says why.
"""

import logging

import torch

log = logging.getLogger(__name__)

WARMUP_STEPS = 3


def capture_graph(run, warmup):
    """Capture `run` as a CUDA graph, after `warmup` on a side stream; return its replay."""
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        warmup()
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
        self.replays = 0
        self.fraction = 0.0

    def chunk(self, batch_size, eta, n_train, step, parameters):
        """The order buffer and replay of captured calls of step(batch) (replay None if capture failed)."""
        if (batch_size, eta) not in self.graphs:
            steps = min(self.steps, n_train // batch_size)
            # Zeros are valid indices, so warm-up and capture read real rows.
            chunk_order = torch.zeros(steps * batch_size, dtype=torch.long, device=self.device)
            batches = chunk_order.view(steps, batch_size)

            def run_chunk():
                for batch in batches:
                    step(batch)

            def warmup():
                for batch in batches[:WARMUP_STEPS]:
                    step(batch)

            # Warm-up trains for real, so the parameters are put back after it.
            with torch.no_grad():
                saved = [p.detach().clone() for p in parameters]
            try:
                replay = capture_graph(run_chunk, warmup)
            except RuntimeError as e:
                log.warning("CUDA graph capture failed, training eagerly: %s", e)
                self.enabled, replay = False, None
            with torch.no_grad():
                for p, value in zip(parameters, saved):
                    p.copy_(value)
            self.graphs[batch_size, eta] = chunk_order, replay
        return self.graphs[batch_size, eta]

    def train(self, order, batch_size, eta, n_train, step, parameters) -> int:
        """Replay the captured chunk over every whole chunk of `order`; return the examples it took."""
        if not self.enabled:
            self.fraction = 0.0
            return 0
        chunk_order, replay = self.chunk(batch_size, eta, n_train, step, parameters)
        done = 0
        while replay and len(chunk_order) and done + len(chunk_order) <= len(order):
            chunk_order.copy_(order[done : done + len(chunk_order)])
            replay()
            self.replays += 1
            done += len(chunk_order)
        steps = -(-len(order) // batch_size)
        self.fraction = done // batch_size / steps if steps else 0.0
        return done
