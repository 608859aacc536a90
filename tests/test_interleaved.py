"""The interleaved sweeper: rounds of repetitions in order, each shuffled, the same order each time."""

import pandas as pd

from hydra_plugins.backprop_bench.interleaved_sweeper import interleaved
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
