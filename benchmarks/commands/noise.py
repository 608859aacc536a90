"""Where the timing noise lives on this machine: between blocks of mini-batches within an epoch,
between epochs of one process, and between processes; idle, or with other work coming and going.

    python -m benchmarks.commands.noise [--backends numpy,torch] [--processes 6] [--epochs 4]
        [--batch 10] [--hidden 30] [--block 100] [--bursts 1.5] [--alternate]

Each process (a fresh interpreter, as each round of `make bench` is) builds every backend from the
same start at 1 thread and trains them epoch by epoch, each backend's epoch in turn (or, with
`--alternate`, taking turns block by block), timing each block of `--block` mini-batches; the first
epoch is warm-up. `--bursts S` keeps a helper busy-looping S seconds on and S seconds off on
another core for the whole measurement. For each backend the table gives the coefficient of
variation (standard deviation over mean) at each level, and for the first two backends their ratio
and its spread, epoch by epoch in one process (paired) and across processes (unpaired): the noise a
paired design would cancel is the difference, and the ratio at each block size, against each
backend's epoch in turn, shows what taking turns costs.
"""

import argparse
import json
import subprocess
import sys

import numpy as np
import pandas as pd

from .. import env, harness, registry
from ..data import load_mnist
from ..errors import UserError, command
from ..fairness import epoch_order, init_params, layer_sizes, prepare

BACKENDS = ("numpy", "torch")
ETA = 3.0


def cv(values) -> float:
    values = np.asarray(values, dtype=float)
    return float(values.std(ddof=1) / values.mean()) if len(values) > 1 else float("nan")


def levels(blocks: pd.DataFrame) -> pd.DataFrame:
    """Per backend, the coefficient of variation of block times within an epoch, of epoch times
    within a process, and of processes' mean epoch times (columns process, backend, epoch, block,
    seconds; warm-up epochs already left out)."""
    rows = []
    for backend, part in blocks.groupby("backend", sort=False):
        epochs = part.groupby(["process", "epoch"]).seconds.sum()
        rows.append(
            {
                "backend": backend,
                "blocks in an epoch": part.groupby(["process", "epoch"]).seconds.apply(cv).median(),
                "epochs in a process": epochs.groupby("process").apply(cv).median(),
                "processes": cv(epochs.groupby("process").mean()),
                "epoch s": epochs.median(),
            }
        )
    return pd.DataFrame(rows)


def pairing(blocks: pd.DataFrame) -> dict:
    """The first two backends' ratio of epoch times: its spread epoch by epoch within a process
    (paired, median over processes) and that of their processes' means (unpaired)."""
    epochs = blocks.groupby(["backend", "process", "epoch"], sort=False).seconds.sum()
    first, second = list(dict.fromkeys(blocks.backend))[:2]
    ratio = epochs[first] / epochs[second]
    means = epochs[first].groupby("process").mean() / epochs[second].groupby("process").mean()
    return {
        "ratio": f"{first}/{second}",
        "median": float(ratio.median()),
        "paired, epochs in a process": float(ratio.groupby("process").apply(cv).median()),
        "unpaired, processes": cv(means),
    }


def timed(net, part, batch: int) -> float:
    with harness.Timer(net.synchronize) as block:
        net.train_epoch(part, batch, ETA)
    return block.seconds


def turns(names: list[str], blocks: int, alternate: bool):
    """(backend, block) in the order they train in an epoch: each backend's blocks in turn, or with
    --alternate block by block, the backends' order reversed every other block."""
    if not alternate:
        return [(name, block) for name in names for block in range(blocks)]
    return [(name, block) for block in range(blocks) for name in (names if block % 2 == 0 else names[::-1])]


def worker(args) -> None:
    """One process's blocks, as JSON lines on stdout."""
    data = load_mnist()
    params = init_params(layer_sizes(args.hidden), 0)
    per_block = args.block * args.batch
    with env.pinned_threads(1):
        nets = {name: registry.built(name, params, data) for name in args.backends}
        for net in nets.values():
            prepare(net, args.batch, ETA)
        for epoch in range(1, args.epochs + 1):
            order = epoch_order(0, epoch, len(data.train_y))
            for name, block in turns(args.backends, len(order) // per_block, args.alternate):
                seconds = timed(nets[name], order[block * per_block : (block + 1) * per_block], args.batch)
                print(json.dumps({"backend": name, "epoch": epoch, "block": block, "seconds": seconds}))


def measured(args) -> pd.DataFrame:
    rows = []
    forwarded = [f"--{k}={v}" for k, v in vars(args).items() if k in ("hidden", "batch", "block", "epochs")]
    forwarded += ["--alternate"] if args.alternate else []
    with env.background_load(1 if args.bursts else 0, bursts=args.bursts):
        for process in range(args.processes):
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    __spec__.name,
                    "--worker",
                    f"--backends={','.join(args.backends)}",
                    *forwarded,
                ],
                capture_output=True,
                text=True,
            )
            if done.returncode != 0:
                said = done.stderr.strip().splitlines() or [f"exit code {done.returncode}"]
                raise UserError(f"a measuring process failed: {said[-1]}")
            rows += [json.loads(line) | {"process": process} for line in done.stdout.splitlines()]
    blocks = pd.DataFrame(rows)
    return blocks[blocks.epoch > 1]  # the first epoch is warm-up


def parse(argv):
    parser = argparse.ArgumentParser(description="Where the timing noise lives, level by level")
    parser.add_argument("--backends", default=",".join(BACKENDS), help="comma-separated, from conf/backend")
    parser.add_argument("--processes", type=int, default=6)
    parser.add_argument("--epochs", type=int, default=4, help="per process; the first is warm-up")
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--hidden", type=int, default=30)
    parser.add_argument("--block", type=int, default=100, help="mini-batches per timed block")
    parser.add_argument("--bursts", type=float, help="seconds on, then off, of a busy-looping helper")
    parser.add_argument("--alternate", action="store_true", help="the backends take turns block by block")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if unknown := [b for b in args.backends if b not in registry.backend_configs()]:
        known = ", ".join(sorted(registry.backend_configs()))
        raise UserError(f"--backends: unknown backend {', '.join(unknown)}; choose from {known}")
    minimum = {"processes": 2, "epochs": 3, "batch": 1, "hidden": 1, "block": 1}
    for option, least in minimum.items():
        if getattr(args, option) < least:
            raise UserError(f"--{option}={getattr(args, option)}: must be at least {least}")
    if args.block * args.batch * 2 > 50_000:
        raise UserError(
            f"--block × --batch = {args.block * args.batch}: an epoch must hold at least 2 blocks"
        )
    return args


@command
def main(argv=None) -> int:
    args = parse(argv)
    if args.worker:
        worker(args)
        return 0
    blocks = measured(args)
    load = f"a helper busy {args.bursts} s on, {args.bursts} s off" if args.bursts else "idle"
    turn = "taking turns block by block" if args.alternate else "each backend's epoch in turn"
    print(
        f"Coefficient of variation at each level, {args.processes} processes × {args.epochs - 1} timed "
        f"epochs, blocks of {args.block} mini-batches of {args.batch}, hidden {args.hidden}, 1 thread, "
        f"{turn}, {load}:\n"
    )
    print(levels(blocks).to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    if len(args.backends) > 1:
        print(
            "\n"
            + "\n".join(
                f"{k}: {v:.4f}" if isinstance(v, float) else f"{k}: {v}" for k, v in pairing(blocks).items()
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
