"""benchmarks.compare on synthetic result sets with known changes."""

import io

import numpy as np
import pandas as pd
import pytest

from benchmarks import compare

CONFIGS = [("numpy", 10), ("numpy", 100), ("torch", 10)]


def runs(scale=1.0, noise=0.01, configs=CONFIGS, seed=0, accuracy=0.9):
    rng = np.random.default_rng(seed)
    rows = []
    for backend, batch in configs:
        for epoch in range(1, 11):
            train_s = scale * (1.0 if batch == 10 else 0.5) * (1 + rng.uniform(-noise, noise))
            rows.append(
                {
                    "run_id": f"{backend}-{batch}",
                    "backend": backend,
                    "device": "cpu",
                    "batch_size": batch,
                    "hidden": 30,
                    "dtype": "float32",
                    "threads": 1,
                    "background_load": 0,
                    "epoch": epoch,
                    "warmup": epoch == 1,
                    "train_s": train_s,
                    "test_acc": accuracy,
                    "status": "ok",
                    "cpu_model": "Test CPU",
                    "logical_cpus": 2,
                    "loadavg_start": 0.1,
                }
            )
    return pd.DataFrame(rows)


def run_compare(tmp_path, old, new, *args):
    old.to_parquet(tmp_path / "old.parquet")
    new.to_parquet(tmp_path / "new.parquet")
    code = compare.main([str(tmp_path / "old.parquet"), str(tmp_path / "new.parquet"), *args])
    return code


def verdicts(old, new, min_change=0.05):
    matched, _ = compare.compare(old, new, min_change)
    return matched.set_index(["backend", "batch_size"]).verdict.to_dict()


def test_twofold_slowdown_is_slower_and_fails_ci(tmp_path, capsys):
    old, new = runs(), runs(scale=2.0, seed=1)
    assert set(verdicts(old, new).values()) == {"slower"}
    assert run_compare(tmp_path, old, new, "--fail-above", "10%") == 1
    assert "slower by more than 10%" in capsys.readouterr().err
    assert run_compare(tmp_path, old, new) == 0


def test_speedup_is_faster(tmp_path):
    assert set(verdicts(runs(), runs(scale=0.5, seed=1)).values()) == {"faster"}


def test_identical_inputs_are_same_everywhere(tmp_path, capsys):
    old = runs()
    assert set(verdicts(old, old).values()) == {"same"}
    assert run_compare(tmp_path, old, old, "--fail-above", "0%") == 0
    out = capsys.readouterr().out
    assert out.count("| same |") == len(CONFIGS)


def test_small_change_inside_noise_is_same():
    old, new = runs(noise=0.05), runs(scale=1.03, noise=0.05, seed=1)
    assert set(verdicts(old, new).values()) == {"same"}


def test_change_below_min_change_is_same_even_without_noise():
    old, new = runs(noise=0.0), runs(scale=1.03, noise=0.0)
    assert set(verdicts(old, new).values()) == {"same"}
    assert set(verdicts(old, new, min_change=0.01).values()) == {"slower"}


def test_unmatched_configurations_are_listed(tmp_path, capsys):
    old = runs(configs=[("numpy", 10), ("numpy_loop", 10)])
    new = runs(configs=[("numpy", 10), ("torch", 100)])
    run_compare(tmp_path, old, new)
    err = capsys.readouterr().err
    assert "only in old: backend=numpy_loop" in err
    assert "only in new: backend=torch, device=cpu, batch_size=100" in err


def test_accuracy_change_and_csv_format(tmp_path, capsys):
    run_compare(tmp_path, runs(accuracy=0.90), runs(accuracy=0.95), "--format", "csv")
    table = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert table["accuracy change pp"].tolist() == pytest.approx([5.0] * len(CONFIGS))


def test_environment_differences_are_warned(tmp_path, capsys):
    new = runs()
    new["cpu_model"] = "Other CPU"
    new["loadavg_start"] = 1.8
    run_compare(tmp_path, runs(), new)
    captured = capsys.readouterr()
    assert "warning: cpu_model differs: Test CPU vs Other CPU" in captured.err
    assert "load average up to 0.90 per core" in captured.err
    assert "Other CPU" in captured.out


def test_bad_fraction_is_one_clear_line(capsys):
    with pytest.raises(SystemExit):
        compare.main(["a", "b", "--min-change", "lots"])
    assert "'lots' is not a fraction" in capsys.readouterr().err


def test_results_of_schema_version_1_still_compare(tmp_path, capsys):
    old = runs().assign(schema_version=1)  # version 1 had no launcher, parallel_jobs or cuda_graphs
    assert "launcher" not in old
    assert run_compare(tmp_path, old, old, "--fail-above", "0%") == 0
    assert capsys.readouterr().out.count("| same |") == len(CONFIGS)


def test_results_from_a_newer_schema_give_one_line(tmp_path, capsys):
    newer = runs().assign(schema_version=99)
    with pytest.raises(SystemExit) as exit_:
        run_compare(tmp_path, newer, runs())
    assert "schema version 99" in str(exit_.value.code) and "update backprop-bench" in str(exit_.value.code)
