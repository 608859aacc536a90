"""Two configurations timed as a pair: built in one process from the same parameters, warmed up
alike, then trained epoch by epoch in turn (A B B A ..., or B A A B ...), each side's k-th epoch on
the same mini-batches in the same order. Whatever the machine does to that process (the clock,
drift over the minute, other work) falls on both sides alike, so the ratio of their times in one
process is far steadier than that of separate runs; the answers compare two sides by their ratios
over processes, one process per round (stats.compare_pairs, docs/fairness.md "Pairs").

Each side is recorded as a run of its own configuration, a row per epoch, with the pair's id. An
epoch during which other work took the machine (stats.BUSY_CORES) is kept, marked by its load, and
its turn taken again, up to `retries` more epochs a side: a busy stretch is replaced, not mixed in.
"""

import time
import uuid

import pandas as pd
from omegaconf import DictConfig

from . import configuration, env, harness, registry, stats
from .fairness import epoch_order, init_params, layer_sizes, prepare

# The order the sides train in, repeated: a drift linear in time falls on both alike.
ORDER = (0, 1, 1, 0)
# After an epoch on more threads, BLAS's idle threads spin for a while, and a 1-thread epoch started
# then shares its core with them: at once, numpy's took twice as long; 0.2 s later, no longer
# (docs/fairness.md, "Pairs"). An epoch on fewer threads than the last waits this long first.
SETTLE_S = 0.25
# Other work comes in stretches longer than an epoch: a busy epoch's turn is taken again after this
# long, doubled at each busy epoch of the side (0.5, 1, 2, 4 s), so that a retry meets another moment.
RETRY_WAIT_S = 0.5


def turns(first: int):
    """Side indices in training order: A B B A ..., or B A A B ... when `first` is 1."""
    while True:
        yield from (side ^ first for side in ORDER)


def side_bases(cfgs: tuple[DictConfig, DictConfig], data) -> list[dict]:
    """The two sides' row fields: each its run's (harness.base_row), with the pair they make."""
    pair_id, bases = uuid.uuid4().hex, []
    for side, cfg in enumerate(cfgs):
        base = harness.base_row(cfg, registry.net_options(cfg.backend.net), data)
        base |= {"device": harness.resolve_device(cfg)}
        bases.append(
            base | {"config_hash": configuration.config_hash(base), "pair_id": pair_id, "pair_side": side}
        )
    return bases


def measured(
    cfgs: tuple[DictConfig, DictConfig], bases: list[dict], data, timed_epochs: int, retries: int, first: int
) -> list:
    """Both sides' rows (`bases`: side_bases), each side's own list: a warm-up epoch each, as long as
    the timed ones (what specialises to a shape, XLA, compiles for the epoch's), then epochs in turn
    until each side has `timed_epochs` idle ones, or has run `retries` more than that."""
    params = init_params(layer_sizes(cfgs[0].hidden), cfgs[0].seed)
    nets, pinned = [], []
    fingerprint = env.gemm_peak(*env.FINGERPRINT)[0]
    for cfg, base in zip(cfgs, bases):
        pinned.append(cfg.threads if cfg.backend.pin_threads else None)
        with env.pinned_threads(pinned[-1]) as counts, harness.Timer() as setup:
            net = harness.build(
                cfg.backend.net,
                params,
                data.train_x,
                data.train_y,
                device=base["device"],
                dtype=base["dtype"],
            )
            prepare(net, cfg.batch_size, cfg.eta)
        base |= counts | {"setup_s": setup.seconds, "fingerprint_gflops": fingerprint}
        nets.append(net)

    rows: list[list[dict]] = [[], []]
    n = len(data.train_y)
    examples = cfgs[0].epoch_examples or n

    last_threads = [0]

    def epoch(side: int, number: int) -> bool:
        """Train side `side`'s epoch `number` and record it; whether other work took the machine."""
        cfg, net = cfgs[side], nets[side]
        order = epoch_order(cfg.seed, number, n)[:examples]
        if last_threads[0] > bases[side]["threads"]:
            time.sleep(SETTLE_S)
        last_threads[0] = bases[side]["threads"]
        with env.pinned_threads(pinned[side]), env.MachineLoad() as load, harness.Timer(net.synchronize) as t:
            net.train_epoch(order, cfg.batch_size, cfg.eta)
        row = {
            "epoch": number,
            "warmup": number == 1,
            "train_s": t.seconds,
            "examples_per_s": examples / t.seconds,
        }
        rows[side].append(bases[side] | row | load.as_row() | {"status": "ok", "error": None})
        return bool(stats.busy(pd.DataFrame([rows[side][-1]])).iloc[0])

    for side in (first, 1 - first):
        epoch(side, 1)
    idle, tried = [0, 0], [0, 0]

    def done(side: int) -> bool:
        return idle[side] >= timed_epochs or tried[side] >= timed_epochs + retries

    for side in turns(first):
        if done(0) and done(1):
            break
        if done(side):
            continue
        if busy := tried[side] - idle[side]:
            time.sleep(RETRY_WAIT_S * 2 ** (busy - 1))
        tried[side] += 1
        idle[side] += not epoch(side, tried[side] + 1)
    return rows
