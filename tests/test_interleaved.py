"""The interleaved sweeper: rounds of repetitions in order, each shuffled, the same order each time."""

import pandas as pd

from hydra_plugins.backprop_bench.interleaved_sweeper import covering, interleaved
from tests.conftest import TINY, run_py


def jobs():
    return [
        [f"backend={b}", f"batch_size={n}", f"seed={s}"]
        for b in ("numpy", "torch", "jax")
        for n in (10, 100)
        for s in (0, 1, 2)
    ]


def test_jobs_run_round_by_round_each_round_holding_every_configuration_once():
    ordered = interleaved(jobs(), "seed")
    assert sorted(map(tuple, ordered)) == sorted(map(tuple, jobs()))
    rounds = [ordered[i : i + 6] for i in range(0, 18, 6)]
    for seed, members in enumerate(rounds):
        assert {job[2] for job in members} == {f"seed={seed}"}
        assert len({tuple(job[:2]) for job in members}) == 6


def test_each_round_is_shuffled_and_the_order_is_the_same_every_time():
    ordered = interleaved(jobs(), "seed")
    backends = [job[0] for job in ordered[:6]]
    assert backends != sorted(backends)  # not backend after backend
    assert interleaved(jobs(), "seed") == ordered
    assert [job[:2] for job in ordered[:6]] != [job[:2] for job in ordered[6:12]]


def test_a_sweep_through_it_runs_every_job_once_in_rounds(tmp_path):
    done = run_py(
        "-m",
        "hydra/sweeper=interleaved",
        "seed=0,1",
        "backend=numpy,torch",
        f"results_dir={tmp_path}",
        *TINY,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    runs = pd.read_parquet(tmp_path / "runs.parquet").groupby("run_id").first().sort_values("started_at")
    assert len(runs) == 4
    assert runs.seed.tolist() == [0, 0, 1, 1]


def test_validation_composes_one_job_for_each_override_in_the_batch():
    chosen = covering(jobs())
    assert {o for job in chosen for o in job} == {o for job in jobs() for o in job}
    assert len(chosen) == 3  # each value of the widest key once; every job: 18


TWO_LEGS = """# @package _global_
defaults:
  - override /hydra/sweeper: interleaved
hydra:
  sweeper:
    legs:
      - +sweep=quick backend=numpy,torch
      - +sweep=quick backend=numpy hidden=12 seed=1
"""


def test_legs_run_as_one_sweep_each_with_its_preset_and_a_leg_naming_rounds_runs_in_those_only(tmp_path):
    (tmp_path / "conf" / "sweep").mkdir(parents=True)
    (tmp_path / "conf" / "sweep" / "two_legs.yaml").write_text(TWO_LEGS)
    done = run_py(
        "-m",
        f"hydra.searchpath=[file://{tmp_path / 'conf'}]",
        "+sweep=two_legs",
        "seed=0,1",
        f"results_dir={tmp_path}",
        *TINY,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    runs = pd.read_parquet(tmp_path / "runs.parquet").groupby("run_id").first().sort_values("started_at")
    assert sorted(zip(runs.backend, runs.hidden, runs.seed)) == [
        ("numpy", 12, 1), ("numpy", 30, 0), ("numpy", 30, 1), ("torch", 30, 0), ("torch", 30, 1),
    ]  # fmt: skip
    assert runs.seed.tolist() == [0, 0, 1, 1, 1]  # one process, in rounds
    assert (runs.batch_size == 20).all()  # the command line's setting wins over the preset's 100
    assert "[5/5]" in done.stderr + done.stdout
