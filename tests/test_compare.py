"""benchmarks.compare on synthetic result sets with known changes."""

import io

import numpy as np
import pandas as pd
import pytest

from benchmarks import configuration, results
from benchmarks.commands import compare

CONFIGS = [("numpy", 10), ("numpy", 100), ("torch", 10)]


def runs(scale=1.0, noise=0.01, configs=CONFIGS, seed=0, accuracy=0.9, **columns):
    rng = np.random.default_rng(seed)
    rows = []
    for backend, batch in configs:
        for epoch in range(1, 11):
            train_s = scale * (1.0 if batch == 10 else 0.5) * (1 + rng.uniform(-noise, noise))
            rows.append(
                {
                    "run_id": f"{backend}-{batch}-{seed}",
                    "backend": backend,
                    "backend_options": configuration.options_text(configuration.default_options()[backend]),
                    "device": "cpu",
                    "batch_size": batch,
                    "hidden": 30,
                    "eta": 3.0,
                    "epochs": 10,
                    "dtype": "float32",
                    "threads": 1,
                    "background_load": 0,
                    "parallel_jobs": 1,
                    "epoch": epoch,
                    "seed": seed,
                    "warmup": epoch == 1,
                    "train_s": train_s,
                    "test_acc": accuracy,
                    "status": "ok",
                    "cpu_model": "Test CPU",
                    "logical_cpus": 2,
                    "loadavg_start": 0.1,
                    "git_commit": "abc123",
                    "speed_env": "",
                    "started_at": pd.Timestamp("2026-11-28", tz="UTC"),
                    "schema_version": results.SCHEMA_VERSION,
                }
                | columns
            )
    return results.to_frame(rows)


def run_compare(tmp_path, old, new, *args):
    old.to_parquet(tmp_path / "old.parquet")
    new.to_parquet(tmp_path / "new.parquet")
    code = compare.main([str(tmp_path / "old.parquet"), str(tmp_path / "new.parquet"), *args])
    return code


def verdicts(old, new, min_change=0.05):
    matched, _, _ = compare.compare(old, new, min_change)
    return matched.set_index(["variant", "batch_size"]).verdict.to_dict()


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
    assert "only in old: variant=numpy_loop (cpu), batch_size=10" in err
    assert "only in new: variant=torch (cpu), batch_size=100, hidden=30, threads=1" in err


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
    # version 1 had no launcher, parallel_jobs or cuda_graphs; version 3 added backend options
    since_1 = ["launcher", "parallel_jobs", "cuda_graphs", *results.ADDED[3]]
    old = runs().drop(columns=since_1).assign(schema_version=1)
    assert run_compare(tmp_path, old, old, "--fail-above", "0%") == 0
    assert capsys.readouterr().out.count("| same |") == len(CONFIGS)


def test_results_from_a_newer_schema_give_one_line(tmp_path, capsys):
    newer = runs().assign(schema_version=99)
    assert run_compare(tmp_path, newer, runs()) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "schema version 99" in err and "update backprop-bench" in err


def test_backend_options_and_parallel_jobs_are_never_matched_across(tmp_path, capsys):
    old = pd.concat(
        [
            runs(configs=[("torch", 10)], backend_options='{"torchscript": true}'),
            runs(configs=[("torch", 10)], backend_options='{"torchscript": false}', scale=2.0, seed=1),
        ]
    )
    new = pd.concat(
        [
            runs(configs=[("torch", 10)], backend_options='{"torchscript": true}', seed=2),
            runs(configs=[("torch", 10)], parallel_jobs=2, backend_options='{"torchscript": true}', seed=3),
        ]
    )
    matched, unmatched, _ = compare.compare(old, new, 0.05)
    assert matched.verdict.tolist() == ["same"] and matched.parallel_jobs.tolist() == [1]
    assert any("torchscript=false" in line and line.startswith("only in old") for line in unmatched)
    assert any("parallel_jobs=2" in line and line.startswith("only in new") for line in unmatched)


def test_each_side_uses_its_newest_set_and_says_what_it_left_out():
    stale = runs(scale=5.0, git_commit="old0001")
    fresh = runs(seed=1, git_commit="new0002", started_at=pd.Timestamp("2026-11-29", tz="UTC"))
    matched, _, warnings = compare.compare(pd.concat([stale, fresh]), runs(seed=2), 0.05)
    assert set(matched.verdict) == {"same"}
    assert any(w.startswith(f"old side: {len(CONFIGS)} runs of older sets") for w in warnings)


def test_rows_from_before_backend_options_were_recorded_match_with_a_warning():
    old = runs().assign(backend_options=pd.NA)
    matched, unmatched, warnings = compare.compare(old, runs(seed=1), 0.05)
    assert len(matched) == len(CONFIGS) and not unmatched
    assert any("predate recorded backend options" in w for w in warnings)


def test_speed_changing_variables_that_differ_are_warned(tmp_path, capsys):
    run_compare(tmp_path, runs(), runs(seed=1, speed_env="OPENBLAS_CORETYPE=Haswell"))
    assert "warning: speed_env differs: none vs OPENBLAS_CORETYPE=Haswell" in capsys.readouterr().err
