"""Hydra's basic sweeper, with its jobs in rounds of repetitions, each round shuffled.

The basic sweeper runs backend after backend: whatever else the machine does during one backend's
minutes is charged to that backend alone. This one groups the jobs by the value of `round_by` (the
seed: one repetition of every configuration), runs the rounds in the order given, and shuffles the
jobs within each round, seeded by the round, so that drift and other tenants fall on every side of
a comparison alike and the same command always runs the same order.

`legs` joins several sweeps into one: each leg is what would follow `run.py -m` on its own (a
preset, `+sweep=large`, and overrides of it), and their jobs run as one sweep, interleaved together,
in one process (Hydra starts once, not once a leg). The command line's own overrides apply to
every leg. A leg that lists values of `round_by` runs in those rounds only.
"""

import random
import shlex
from collections import defaultdict
from dataclasses import dataclass

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.config_store import ConfigStore
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import open_dict

PRESET_GROUP = "sweep"


@dataclass
class InterleavedSweeperConf:
    _target_: str = "hydra_plugins.backprop_bench.interleaved_sweeper.InterleavedSweeper"
    max_batch_size: int | None = None
    params: dict[str, str] | None = None
    round_by: str = "seed"
    legs: list[str] | None = None
    launched: int | None = None  # written by the sweeper into multirun.yaml: the jobs of its first batch


ConfigStore.instance().store(group="hydra/sweeper", name="interleaved", node=InterleavedSweeperConf)


def interleaved(jobs: list[list[str]], round_by: str) -> list[list[str]]:
    """The jobs (each a list of 'key=value' overrides) by round, shuffled within each round."""
    rounds = defaultdict(list)
    for job in jobs:
        rounds[value_of(job, round_by)].append(job)
    ordered = []
    for value, members in rounds.items():
        random.Random(f"{round_by}={value}").shuffle(members)
        ordered += members
    return ordered


def value_of(job: list[str], key: str) -> str:
    return next((o.split("=", 1)[1] for o in job if o.split("=", 1)[0] == key), "")


def covering(jobs: list[list[str]]) -> list[list[str]]:
    """A few of the jobs, together holding every override of any job: each the one that adds most."""
    chosen, seen, wanted = [], set(), {o for job in jobs for o in job}
    while seen != wanted:
        job = max(jobs, key=lambda job: len(set(job) - seen))
        chosen.append(job)
        seen.update(job)
    return chosen


class InterleavedSweeper(BasicSweeper):
    def __init__(self, max_batch_size, params=None, round_by="seed", legs=None, launched=None):
        super().__init__(max_batch_size=max_batch_size, params=params)
        self.round_by = round_by
        self.legs = legs or []
        self.arguments: list[str] = []

    def sweep(self, arguments: list[str]):
        self.arguments = list(arguments)
        return super().sweep(arguments)

    def split_arguments(self, overrides, max_batch_size):
        """The jobs of the sweep, or of every leg, interleaved, in batches of `max_batch_size`."""
        if self.legs:
            jobs = [job for leg in self.legs for job in self.leg_jobs(shlex.split(leg))]
        else:
            jobs = [job for batch in BasicSweeper.split_arguments(overrides, None) for job in batch]
        batches = list(
            BasicSweeper.split_overrides_to_chunks(interleaved(jobs, self.round_by), max_batch_size)
        )
        with open_dict(self.config):  # saved in multirun.yaml, where the progress line counts the jobs
            self.config.hydra.sweeper.launched = len(batches[0]) if batches else 0
        return batches

    def leg_jobs(self, leg: list[str]) -> list[list[str]]:
        """A leg's jobs: its preset's sweep, then the leg's overrides, then the command line's (the
        later wins), without the command line's own preset, which the leg's replaces."""
        parser = OverridesParser.create(config_loader=self.hydra_context.config_loader)
        command = [a for a in self.arguments if parser.parse_override(a).key_or_group != PRESET_GROUP]
        selection = [a for a in leg if parser.parse_override(a).key_or_group == PRESET_GROUP]
        preset = self.hydra_context.config_loader.load_sweep_config(self.config, selection)
        params = [f"{k}={v}" for k, v in (preset.hydra.sweeper.params or {}).items()]
        jobs = BasicSweeper.split_arguments(parser.parse_overrides(params + leg + command), None)[0]
        if rounds := [o for o in parser.parse_overrides(leg) if o.key_or_group == self.round_by]:
            allowed = {job[0] for job in BasicSweeper.split_arguments(rounds, None)[0]}
            jobs = [job for job in jobs if f"{self.round_by}={value_of(job, self.round_by)}" in allowed]
        return jobs

    def validate_batch_is_legal(self, batch) -> None:
        """Hydra composes every job's configuration before any runs, a third of a second each; one
        job for each override that the batch holds catches the same mistakes before anything runs."""
        super().validate_batch_is_legal(covering([list(job) for job in batch]))
