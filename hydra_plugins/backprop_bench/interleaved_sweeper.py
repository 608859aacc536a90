"""Hydra's basic sweeper, with its jobs in rounds of repetitions, each round shuffled.

The basic sweeper runs backend after backend: whatever else the machine does during one backend's
minutes is charged to that backend alone. This one groups the jobs by the value of `round_by` (the
seed: one repetition of every configuration), runs the rounds in the order given, and shuffles the
jobs within each round, seeded by the round, so that drift and other tenants fall on every side of
a comparison alike and the same command always runs the same order.
"""

import random
from collections import defaultdict
from dataclasses import dataclass

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.config_store import ConfigStore


@dataclass
class InterleavedSweeperConf:
    _target_: str = "hydra_plugins.backprop_bench.interleaved_sweeper.InterleavedSweeper"
    max_batch_size: int | None = None
    params: dict[str, str] | None = None
    round_by: str = "seed"


ConfigStore.instance().store(group="hydra/sweeper", name="interleaved", node=InterleavedSweeperConf)


def interleaved(jobs: list[list[str]], round_by: str) -> list[list[str]]:
    """The jobs (each a list of 'key=value' overrides) by round, shuffled within each round."""
    rounds = defaultdict(list)
    for job in jobs:
        value = next((o.split("=", 1)[1] for o in job if o.split("=", 1)[0] == round_by), "")
        rounds[value].append(job)
    ordered = []
    for value, members in rounds.items():
        random.Random(f"{round_by}={value}").shuffle(members)
        ordered += members
    return ordered


class InterleavedSweeper(BasicSweeper):
    def __init__(self, max_batch_size: int | None, params: dict[str, str] | None = None, round_by="seed"):
        super().__init__(max_batch_size=max_batch_size, params=params)
        self.round_by = round_by

    def split_arguments(self, overrides, max_batch_size):
        """The basic sweeper's jobs, interleaved, in batches of `max_batch_size`."""
        jobs = [job for batch in BasicSweeper.split_arguments(overrides, None) for job in batch]
        jobs = interleaved(jobs, self.round_by)
        return list(BasicSweeper.split_overrides_to_chunks(jobs, max_batch_size))
