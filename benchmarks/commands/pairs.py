"""One round of the pairs in conf/pairs.yaml, timed in this process (benchmarks.pairs).

    python -m benchmarks.commands.pairs --round N [--results-dir results] [--pairs conf/pairs.yaml]
        (make bench: one process a round, after the round's sweeps)

The round is the seed: both sides of a pair start from its parameters and see its mini-batches, as
that round's whole runs do. The pairs run in an order shuffled by the round, each A B B A or B A A B
in turn. A pair this round already recorded on this machine, with this code and these libraries, is
not timed again, so an interrupted `make bench` resumes where it stopped.
"""

import argparse
import copy
import random
import statistics
import sys
from collections import Counter
from pathlib import Path

import pandas as pd
import yaml
from hydra import compose, initialize_config_dir
from hydra.errors import HydraException
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from .. import config, harness, pairs, results
from ..errors import UserError, command
from ..registry import CONF

Side = tuple[tuple[str, ...], tuple[tuple[str, object], ...]]  # (what Hydra composes, settings on top)


def cells(setting, round_: int) -> list[tuple[Side, Side]]:
    """Each pair's two sides, one entry per batch size and build (`builds` a round), in the round's
    order: a side is its backend and threads, which Hydra composes (with the file's `overrides`, if
    any), and the plain settings set on that."""
    found = []
    for pair in setting.pairs:
        threads = pair.get("threads", [1, 1])
        for batch in pair.batch_size:
            settings = {
                "hidden": pair.hidden,
                "batch_size": batch,
                "seed": round_,
                "evaluate": "never",
                "epochs": setting.timed_epochs + 1,
                "epoch_examples": pair.get("epoch_examples", setting.epoch_examples),
            }
            composed = [
                (f"backend={name}", f"threads={n}", *setting.get("overrides", []))
                for name, n in zip(pair.sides, threads)
            ]
            sides = tuple((overrides, tuple(settings.items())) for overrides in composed)
            found += [sides] * setting.get("builds", 1)
    random.Random(f"pairs round={round_}").shuffle(found)
    return found


def configured(composed: dict, side: Side):
    """A side's configuration: its backend's, composed once, with the side's settings on a copy."""
    overrides, settings = side
    cfg = copy.deepcopy(composed[overrides])
    for key, value in settings:
        cfg[key] = value
    config.check(cfg)
    return cfg


def label(cfgs) -> str:
    sides = " / ".join(f"{cfg.backend.name} {cfg.threads} thread{'s' * (cfg.threads > 1)}" for cfg in cfgs)
    return f"{sides}, hidden {cfgs[0].hidden}, batch {cfgs[0].batch_size}"


def timed_before(runs: pd.DataFrame, provenance: str, seed: int) -> Counter:
    """How many pairs of each two sides (their configurations' hashes) the rows already hold, made with
    this provenance in this round."""
    mine = runs[results.paired(runs) & (runs.provenance_hash == provenance) & (runs.seed == seed)]
    return Counter(tuple(sorted(set(hashes))) for hashes in mine.groupby("pair_id").config_hash.unique())


@command
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--round", type=int, required=True, help="the round, which is the seed")
    parser.add_argument("--results-dir", type=Path, default=Path("results"))
    parser.add_argument("--pairs", type=Path, default=CONF / "pairs.yaml", help="the pairs to time")
    args = parser.parse_args(argv)
    if not args.pairs.is_file():
        raise UserError(f"--pairs {args.pairs}: no such file; give a YAML file shaped like conf/pairs.yaml")
    config.register()
    try:
        setting = OmegaConf.load(args.pairs)
        planned = cells(setting, args.round)
        with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
            backends = dict.fromkeys(side[0] for cell in planned for side in cell)
            composed = {overrides: compose("config", overrides=list(overrides)) for overrides in backends}
        planned_cfgs = [[configured(composed, side) for side in cell] for cell in planned]
    except (HydraException, OmegaConfBaseException, yaml.YAMLError) as e:
        said = str(e).strip().splitlines()[0]
        raise UserError(
            f"--pairs {args.pairs}: {said}; give a YAML file shaped like conf/pairs.yaml"
        ) from None
    data = harness.build(planned_cfgs[0][0].data)
    done = None
    for index, (cell, cfgs) in enumerate(zip(planned, planned_cfgs)):
        bases = pairs.side_bases(tuple(cfgs), data)
        if done is None:
            done = timed_before(results.collect(args.results_dir), bases[0]["provenance_hash"], args.round)
        build = planned[:index].count(cell)
        if done[tuple(sorted({base["config_hash"] for base in bases}))] > build:
            print(f"[{index + 1}/{len(planned)}] {label(cfgs)}: already timed in round {args.round}")
            continue
        rows = pairs.measured(
            tuple(cfgs),
            bases,
            data,
            setting.timed_epochs,
            setting.retries,
            (build + args.round) % 2,  # the builds of a cell take opposite orders
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
