import re
from concurrent.futures import ThreadPoolExecutor

from benchmarks.progress import claim_place, time_left
from tests.conftest import TINY, run_py

PROGRESS_LINE = re.compile(r"\[(\d+)/(\d+)\] (\w+) batch=20 hidden=30 seed=\d: (.*); (.*)")


def progress_lines(output: str) -> list[tuple[str, ...]]:
    return [match.groups() for match in map(PROGRESS_LINE.search, output.splitlines()) if match]


def test_jobs_finishing_at_once_claim_different_places(tmp_path):
    with ThreadPoolExecutor(8) as pool:
        places = list(pool.map(lambda _: claim_place(tmp_path), range(40)))
    assert sorted(places) == list(range(1, 41))


def test_time_left_extrapolates_from_the_jobs_done():
    assert time_left(12, 47, elapsed=48.0) == "about 2 min left"
    assert time_left(1, 4, elapsed=10.0) == "about 30 s left"
    assert time_left(47, 47, elapsed=312.0) == "sweep done in 5 min"


def test_a_sweep_prints_each_finished_run_with_its_place_and_the_time_left(tmp_path):
    done = run_py("-m", "backend=numpy,torch", *TINY, f"results_dir={tmp_path}")
    assert done.returncode == 0, done.stderr
    lines = progress_lines(done.stdout + done.stderr)
    assert [(place, total, backend) for place, total, backend, *_ in lines] == [
        ("1", "2", "numpy"),
        ("2", "2", "torch"),
    ]
    assert re.fullmatch(r"\d\.\d{3} s/epoch, \d+\.\d%", lines[0][3])
    assert lines[0][4].startswith("about ") and lines[1][4].startswith("sweep done in ")


def test_a_resumed_sweep_says_which_runs_it_skipped(tmp_path):
    sweep = ["-m", "backend=numpy", "seed=0,1", *TINY, f"results_dir={tmp_path}"]
    run_py(*sweep)
    again = run_py(*sweep)
    assert [line[3] for line in progress_lines(again.stdout + again.stderr)] == ["already done, skipped"] * 2


def test_parallel_jobs_each_report_a_different_place(tmp_path):
    done = run_py(
        "-m", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", "backend=numpy", "seed=0,1,2",
        *TINY, f"results_dir={tmp_path}", timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = progress_lines(done.stdout + done.stderr)
    assert sorted(place for place, *_ in lines) == ["1", "2", "3"]
    assert {total for _, total, *_ in lines} == {"3"}


def test_a_single_run_prints_no_progress_line(tmp_path):
    done = run_py("backend=numpy", *TINY, f"results_dir={tmp_path}")
    assert done.returncode == 0, done.stderr
    assert progress_lines(done.stdout + done.stderr) == []


def test_a_run_is_found_by_its_whole_configuration_not_by_backend_and_sizes_alone(tmp_path):
    import time

    import pandas as pd

    from benchmarks import configuration, registry, results
    from benchmarks.progress import this_run
    from tests.conftest import compose_config

    since = time.time() - 1
    for cost in ("cross_entropy", "quadratic"):  # both written while the job ran; the last is not its own
        cfg = compose_config(f"cost={cost}", results_dir=tmp_path)
        row = configuration.identity(cfg, registry.net_options(cfg.backend.net), "joblib", 2)
        rows = [row | {"run_id": cost, "epoch": 1, "device": "cpu", "train_s": 0.1, "test_acc": 0.9}]
        results.runs_dir(tmp_path).mkdir(exist_ok=True)
        pd.DataFrame(rows).to_parquet(results.runs_dir(tmp_path) / f"{cost}.parquet")
        time.sleep(0.01)
    mine = this_run(compose_config("cost=cross_entropy", results_dir=tmp_path), tmp_path, since)
    assert mine is not None and mine.run_id.tolist() == ["cross_entropy"]
