"""benchmarks.compare on synthetic result sets with known changes."""

import io
import re

import numpy as np
import pandas as pd
import pytest

from benchmarks import configuration, results
from benchmarks.commands import compare

CONFIGS = [("numpy", 10), ("numpy", 100), ("torch", 10)]


def runs(scale=1.0, noise=0.01, configs=CONFIGS, seed=0, accuracy=0.9, n_runs=5, **columns):
    """`n_runs` runs of each configuration, each slower or faster than `scale` by its own factor
    (normal, sd `noise`), as separate processes differ; its epochs differ by a tenth of that."""
    rng = np.random.default_rng(seed)
    rows = []
    for backend, batch in configs:
        for run in range(n_runs):
            run_factor = 1 + noise * rng.standard_normal()
            for epoch in range(1, 11):
                epoch_factor = 1 + noise / 10 * rng.standard_normal()
                train_s = scale * (1.0 if batch == 10 else 0.5) * run_factor * epoch_factor
                rows.append(
                    {
                        "run_id": f"{backend}-{batch}-{seed}-{run}",
                        "backend": backend,
                        "backend_options": configuration.options_text(
                            configuration.default_options()[backend]
                        ),
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
                        "seed": seed + run,
                        "warmup": epoch == 1,
                        "train_s": train_s,
                        "test_acc": accuracy,
                        "status": "ok",
                        "cpu_model": "Test CPU",
                        "logical_cpus": 2,
                        "loadavg_start": 0.1,
                        "others_cores": 0.0,
                        "steal_share": 0.0,
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


def matched(old, new, min_change=0.05):
    table, _, _ = compare.compare(old, new, min_change)
    return table.set_index(["variant", "batch_size"])


def verdicts(old, new, min_change=0.05):
    return matched(old, new, min_change).verdict.to_dict()


# Forty configurations, each with its own noise: how often a verdict is right is a share of them.
MANY = [("numpy", batch) for batch in range(11, 51)]


def test_a_true_ten_percent_slowdown_is_slower_with_an_interval_around_it():
    table = matched(runs(noise=0.02, configs=MANY), runs(scale=1.10, noise=0.02, configs=MANY, seed=1), 0.03)
    assert (table.verdict == "slower").sum() >= 36 and "faster" not in set(table.verdict)
    assert ((table.low <= 1.10) & (table.high >= 1.10)).sum() >= 34  # a 95% interval, over 5 runs a side
    assert (table["old runs"] == 5).all() and (table["new runs"] == 5).all()


def test_a_one_percent_change_in_two_percent_noise_is_no_clear_difference():
    table = matched(runs(noise=0.02, configs=MANY), runs(scale=1.01, noise=0.02, configs=MANY, seed=1), 0.0)
    assert (table.verdict != "no clear difference").sum() <= 1


def test_a_large_slowdown_shows_its_interval_and_runs_and_fails_ci(tmp_path, capsys):
    old, new = runs(), runs(scale=2.0, seed=1)
    assert run_compare(tmp_path, old, new) == 0
    out = capsys.readouterr().out
    assert "| ratio | 95% interval | runs old / new | verdict |" in out
    rows = re.findall(r"\| (\d\.\d+) \| (\d\.\d\d)–(\d\.\d\d) \| 5 / 5 \| slower \|", out)
    assert len(rows) == len(CONFIGS)
    assert all(float(low) < 2.0 * 1.03 and float(high) > 2.0 / 1.03 for _, low, high in rows)
    assert all(float(r) == pytest.approx(2.0, rel=0.03) for r, _, _ in rows)
    assert run_compare(tmp_path, old, new, "--fail-above", "10%") == 1
    assert "slower by more than 10% over the whole 95% interval" in capsys.readouterr().err


def test_fail_above_fails_only_where_the_whole_interval_is_beyond_it(tmp_path):
    old, new = runs(noise=0.02), runs(scale=1.10, noise=0.02, seed=1, configs=[("numpy", 10)])
    [row] = matched(old, new, 0.03).itertuples()
    assert row.verdict == "slower" and row.low < row.ratio

    def fails_above(ratio):
        return run_compare(
            tmp_path, old, new, "--min-change", "3%", "--fail-above", f"{100 * (ratio - 1):.2f}%"
        )

    assert fails_above((row.low + row.ratio) / 2) == 0  # the ratio is beyond it, but not the whole interval
    assert fails_above((1 + row.low) / 2) == 1


def test_speedup_is_faster(tmp_path):
    table = matched(runs(), runs(scale=0.5, seed=1))
    assert set(table.verdict) == {"faster"}
    assert table.ratio.tolist() == pytest.approx([0.5] * len(CONFIGS), rel=0.02)
    assert (table.high < 1).all()


def test_identical_inputs_show_no_clear_difference_everywhere(tmp_path, capsys):
    old = runs()
    assert set(verdicts(old, old).values()) == {"no clear difference"}
    assert run_compare(tmp_path, old, old, "--fail-above", "0%") == 0
    out = capsys.readouterr().out
    assert out.count("| no clear difference |") == len(CONFIGS)


def test_two_runs_a_side_give_no_interval_and_no_verdict(tmp_path, capsys):
    old, new = runs(n_runs=2), runs(scale=2.0, n_runs=2, seed=1)
    table = matched(old, new)
    assert set(table.verdict) == {"no clear difference (too few runs)"}
    assert table.low.isna().all() and table.ratio.tolist() == pytest.approx([2.0] * len(CONFIGS), rel=0.05)
    assert run_compare(tmp_path, old, new) == 0
    assert "| 2 / 2 | no clear difference (too few runs) |" in capsys.readouterr().out


@pytest.mark.parametrize("n_runs", [1, 2, 4])
def test_the_gate_never_passes_a_doubling_it_has_too_few_runs_to_decide(tmp_path, capsys, n_runs):
    """A +sweep=quick result set (one run a side) against a copy with every time doubled."""
    old = runs(n_runs=n_runs)
    new = old.assign(train_s=old.train_s * 2)
    assert run_compare(tmp_path, old, new, "--fail-above", "10%") == 1
    err = capsys.readouterr().err
    assert f"{len(CONFIGS)} configuration(s) have under 5 runs a side" in err
    assert f"{len(CONFIGS)} configuration(s) slower by more than 10% by their medians" in err
    # the same runs, unchanged, pass, but not silently
    assert run_compare(tmp_path, old, old, "--fail-above", "10%") == 0
    err = capsys.readouterr().err
    assert "judged them from their medians alone" in err and "0 slower by more than 10%" in err


def test_change_below_min_change_is_no_clear_difference_even_without_noise():
    old, new = runs(noise=0.0), runs(scale=1.04, noise=0.0)
    assert set(verdicts(old, new).values()) == {"no clear difference"}
    assert set(verdicts(old, new, min_change=0.01).values()) == {"slower"}
    # however small --min-change, a change inside the noise band is no verdict
    assert set(verdicts(old, runs(scale=1.02, noise=0.0), min_change=0.0).values()) == {"no clear difference"}


def test_busy_runs_are_left_out_where_idle_ones_exist_and_said(capsys):
    idle = runs(noise=0.02)
    busy = runs(scale=1.5, noise=0.02, seed=1, n_runs=2, others_cores=0.9)
    stolen = runs(scale=1.5, configs=[("torch", 10)], seed=2, n_runs=1, steal_share=0.2)
    new = pd.concat([idle, busy, stolen])
    table, _, warnings = compare.compare(runs(noise=0.02, seed=3), new, 0.05)
    assert set(table.verdict) == {"no clear difference"} and (table["new runs"] == 5).all()
    [warning] = [w for w in warnings if "other work took the machine" in w]
    assert warning.startswith("new side: 7 runs were made while") and "7 left out" in warning
    only_busy = runs(scale=1.5, configs=[("numpy", 10)], n_runs=5, steal_share=0.5)
    table, _, warnings = compare.compare(runs(configs=[("numpy", 10)]), only_busy, 0.05)
    assert table.verdict.tolist() == ["slower"]
    assert any("1 configuration(s) have busy runs only and are compared from them" in w for w in warnings)


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
    assert ((table.low <= table.ratio) & (table.ratio <= table.high)).all()
    assert table["old runs"].tolist() == table["new runs"].tolist() == [5] * len(CONFIGS)


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
    # version 1 had no launcher, parallel_jobs or cuda_graphs; version 3 added backend options, 8 the load
    since_1 = ["launcher", "parallel_jobs", "cuda_graphs", *results.ADDED[3], *results.ADDED[8]]
    old = runs().drop(columns=since_1).assign(schema_version=1)
    assert run_compare(tmp_path, old, old, "--fail-above", "0%") == 0
    assert capsys.readouterr().out.count("| 5 / 5 | no clear difference |") == len(CONFIGS)


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
    assert matched.verdict.tolist() == ["no clear difference"] and matched.parallel_jobs.tolist() == [1]
    assert any("torchscript=false" in line and line.startswith("only in old") for line in unmatched)
    assert any("parallel_jobs=2" in line and line.startswith("only in new") for line in unmatched)


def test_each_side_uses_its_newest_set_and_says_what_it_left_out():
    stale = runs(scale=5.0, git_commit="old0001")
    fresh = runs(seed=1, git_commit="new0002", started_at=pd.Timestamp("2026-11-29", tz="UTC"))
    matched, _, warnings = compare.compare(pd.concat([stale, fresh]), runs(seed=2), 0.05)
    assert set(matched.verdict) == {"no clear difference"}
    assert any(w.startswith(f"old side: {5 * len(CONFIGS)} runs of older sets") for w in warnings)


def test_rows_from_before_backend_options_were_recorded_match_with_a_warning():
    old = runs().assign(backend_options=pd.NA)
    matched, unmatched, warnings = compare.compare(old, runs(seed=1), 0.05)
    assert len(matched) == len(CONFIGS) and not unmatched
    assert any("predate recorded backend options" in w for w in warnings)


def test_speed_changing_variables_that_differ_are_warned(tmp_path, capsys):
    run_compare(tmp_path, runs(), runs(seed=1, speed_env="OPENBLAS_CORETYPE=Haswell"))
    assert "warning: speed_env differs: none vs OPENBLAS_CORETYPE=Haswell" in capsys.readouterr().err


def test_configurations_without_a_timed_epoch_are_not_compared_and_said():
    one_epoch = runs(configs=[("numpy", 10)])
    one_epoch = one_epoch[one_epoch.epoch == 1]
    table, _, warnings = compare.compare(pd.concat([runs(configs=[("torch", 10)]), one_epoch]), runs(), 0.05)
    assert table.variant.tolist() == ["torch (cpu)"]
    assert (
        "old side: 1 configuration(s) have no timed epoch (the first is warm-up) and are not compared"
        in " ".join(warnings)
    )
