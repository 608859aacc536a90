"""One round of the pairs in conf/pairs.yaml, timed in this process (benchmarks.pairs).

    python -m benchmarks.commands.pairs --round N [--results-dir results] [--pairs conf/pairs.yaml]
        (make bench: one process a round, after the round's sweeps)

The round is the seed: both sides of a pair start from its parameters and see its mini-batches, as
that round's whole runs do. The pairs run in an order shuffled by the round, each A B B A or B A A B
in turn. A pair this round already recorded on this machine, with this code and these libraries, is
not timed again, so an interrupted `make bench` resumes where it stopped.
"""

import argparse
import random
import statistics
import sys
from pathlib import Path

import pandas as pd
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from .. import config, harness, pairs, results
from ..errors import UserError, command
from ..registry import CONF


def cells(setting, round_: int) -> list[list[list[str]]]:
    """Each pair's two sides as Hydra overrides, one entry per batch size and build (`builds` a round),
    in the round's order; the file's `overrides`, if any, apply to every side."""
    found = []
    for pair in setting.pairs:
        threads = pair.get("threads", [1, 1])
        for batch in pair.batch_size:
            shared = [f"hidden={pair.hidden}", f"batch_size={batch}", f"seed={round_}", "evaluate=never"]
            shared += [
                f"epochs={setting.timed_epochs + 1}",
                f"epoch_examples={pair.get('epoch_examples', setting.epoch_examples) or 'null'}",
                *setting.get("overrides", []),
            ]
            sides = [[f"backend={name}", f"threads={n}", *shared] for name, n in zip(pair.sides, threads)]
            found += [sides] * setting.get("builds", 1)
    random.Random(f"pairs round={round_}").shuffle(found)
    return found


def label(cfgs) -> str:
    sides = " / ".join(f"{cfg.backend.name} {cfg.threads} thread{'s' * (cfg.threads > 1)}" for cfg in cfgs)
    return f"{sides}, hidden {cfgs[0].hidden}, batch {cfgs[0].batch_size}"


def already_timed(runs: pd.DataFrame, bases: list[dict]) -> int:
    """How many pairs of these two sides, this seed and this provenance the rows already hold."""
    same = (runs.provenance_hash == bases[0]["provenance_hash"]) & (runs.seed == bases[0]["seed"])
    sides = runs[results.paired(runs) & same].groupby("pair_id").config_hash.agg(lambda h: sorted(set(h)))
    return list(sides).count(sorted({base["config_hash"] for base in bases}))


@command
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--round", type=int, required=True, help="the round, which is the seed")
    parser.add_argument("--results-dir", type=Path, default=Path("results"))
    parser.add_argument("--pairs", type=Path, default=CONF / "pairs.yaml", help="the pairs to time")
    args = parser.parse_args(argv)
    if not args.pairs.is_file():
        raise UserError(f"--pairs {args.pairs}: no such file; give a YAML file shaped like conf/pairs.yaml")
    setting = OmegaConf.load(args.pairs)
    config.register()
    planned = cells(setting, args.round)
    with initialize_config_dir(
        config_dir=str(CONF), version_base="1.3"
    ):  # each side once, however often timed
        composed = {
            side: compose("config", overrides=list(side)) for side in {tuple(s) for c in planned for s in c}
        }
    planned = [[composed[tuple(side)] for side in cell] for cell in planned]
    data = harness.build(planned[0][0].data)
    earlier = results.collect(args.results_dir)
    for index, cfgs in enumerate(planned):
        bases = [pairs.side_base(cfg, data, "", side) for side, cfg in enumerate(cfgs)]
        build = sum(other == cfgs for other in planned[:index])
        if already_timed(earlier, bases) > build:
            print(f"[{index + 1}/{len(planned)}] {label(cfgs)}: already timed in round {args.round}")
            continue
        rows = pairs.measured(
            tuple(cfgs),
            data,
            setting.timed_epochs,
            setting.retries,
            (build + args.round) % 2,  # the builds of a cell take opposite orders
            setting.get("warmup_examples"),
        )
        for side_rows in rows:
            results.write_run(side_rows, args.results_dir, merged=False)
        seconds = [statistics.median(r["train_s"] for r in side if not r["warmup"]) for side in rows]
        busy = sum(len(side_rows) - 1 - setting.timed_epochs for side_rows in rows)
        print(
            f"[{index + 1}/{len(planned)}] {label(cfgs)}: {seconds[0]:.3f} / {seconds[1]:.3f} s an epoch"
            + (f", {busy} busy epochs taken again" if busy else "")
        )
    results.merge(args.results_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
