"""Intervals and decisions (benchmarks.stats) on synthetic runs whose truth is set."""

import math

import numpy as np
import pandas as pd
import pytest

from benchmarks import stats


def runs_at(seconds: float, n: int, noise: float, rng) -> np.ndarray:
    return seconds * np.exp(rng.normal(0, noise, n))


def test_a_ten_percent_difference_over_five_runs_with_two_percent_noise_is_decided_and_covered():
    rng = np.random.default_rng(1)
    decided, covered, trials = 0, 0, 200
    for _ in range(trials):
        c = stats.compare("k", "numpy", runs_at(1.10, 5, 0.02, rng), "torch", runs_at(1.0, 5, 0.02, rng))
        decided += c.faster == "torch"
        covered += c.low <= 1.10 <= c.high
        assert c.faster != "numpy"  # never the wrong side
    assert decided / trials > 0.9
    assert covered / trials > 0.9  # a 95% interval, from 5 runs a side


def test_no_difference_is_never_called_a_side_beyond_the_noise_band():
    rng = np.random.default_rng(2)
    for _ in range(200):
        c = stats.compare("k", "a", runs_at(1.0, 5, 0.02, rng), "b", runs_at(1.0, 5, 0.02, rng))
        assert c.faster is None
        assert c.ratio >= 1 and c.low <= c.ratio <= c.high


def test_a_narrow_interval_inside_the_band_is_no_clear_difference():
    c = stats.compare("k", "a", [1.02] * 5, "b", [1.0] * 5)
    assert c.faster is None and c.ratio == pytest.approx(1.02) and c.low == c.high == pytest.approx(1.02)


def test_ratio_is_at_least_one_and_names_the_faster_side_either_way_round():
    slow, fast = [2.0, 2.02, 1.98, 2.01, 1.99], [1.0, 1.01, 0.99, 1.0, 1.02]
    one, other = stats.compare("k", "a", slow, "b", fast), stats.compare("k", "b", fast, "a", slow)
    assert one.faster == other.faster == "b"
    assert one.ratio == pytest.approx(other.ratio) == pytest.approx(2.0, rel=0.02)
    assert one.low == pytest.approx(other.low) and one.high == pytest.approx(other.high)
    assert one.speed_of("b") == pytest.approx(other.speed_of("b"))
    assert one.speed_of("a")[0] == pytest.approx(1 / one.speed_of("b")[0])


def test_under_five_runs_a_side_there_is_no_interval_and_no_decision():
    c = stats.compare("k", "a", [2.0, 2.1, 2.0, 2.05], "b", [1.0] * 5)
    assert c.faster is None and math.isnan(c.low) and math.isnan(c.high) and c.runs == (4, 5)
    assert c.as_dict()["low"] is None and "no interval: under 5 runs a side" in stats.interval_text(c)
    assert c.ahead == "b" and c.as_dict()["ahead"] == "b"


def test_an_undecided_comparison_names_the_side_that_was_ahead_by_how_much_and_the_interval():
    c = stats.compare("k", "torch", [1.14, 1.0, 1.3, 1.2, 1.1], "numpy", [1.0, 1.05, 0.95, 1.1, 1.0])
    assert c.faster is None and c.ahead == "numpy"
    assert stats.decision_text(c) == f"no clear difference (numpy ahead 1.14×, {c.low:.2f}–{c.high:.2f}×)"
    assert stats.comparison_row(c)["faster"] == "no clear difference (numpy ahead)"
    assert stats.decision_text(stats.compare("k", "a", [1.0] * 5, "b", [1.0] * 5)) == (
        "no clear difference (equal medians)"
    )
    named = stats.compare("k", "numpy (cpu)", [1.0] * 2, "torch (cuda)", [1.1] * 2)
    assert (
        stats.decision_text(named)
        == "no clear difference (numpy (cpu) ahead 1.10×, no interval: under 5 runs a side)"
    )


def noise(shape: str, n: int, rng) -> np.ndarray:
    """Run-to-run factors of the shapes this machine shows: skewed (a busy moment only ever slows a
    run), bimodal (the 2-thread runs: some twice as slow as others) and rare outliers."""
    jitter = np.exp(rng.normal(0, 0.05, n))
    if shape == "skewed":
        return jitter * (1 + rng.exponential(0.15, n))
    if shape.startswith("bimodal"):
        return jitter * np.where(rng.random(n) < float(shape.split()[1]), 2.0, 1.0)
    return jitter * np.where(rng.random(n) < 0.1, 3.0, 1.0)


@pytest.mark.parametrize("shape", ["skewed", "bimodal 0.5", "bimodal 0.3", "outliers"])
def test_nominal_95_percent_intervals_cover_the_truth_at_the_run_counts_used(shape):
    """At stats.MIN_RUNS runs a side, the counts every answer reads, the interval holds the true ratio
    in at least 93% of trials, whatever the noise's shape."""
    rng = np.random.default_rng(7)
    truth, trials, covered = 1.5, 300, 0
    for _ in range(trials):
        slow = truth * noise(shape, stats.MIN_RUNS, rng)
        c = stats.compare("k", "slow", slow, "fast", noise(shape, stats.MIN_RUNS, rng))
        covered += c.speed_of("fast")[1] <= truth <= c.speed_of("fast")[2]
    assert covered / trials >= 0.93


def test_an_epoch_cut_short_counts_as_the_whole_epoch_at_its_rate():
    rows = pd.DataFrame(
        {
            "run_id": ["part", "part", "whole", "whole"],
            "status": "ok",
            "warmup": [True, False, True, False],
            "epoch_examples": pd.array([10_000, 10_000, None, None], dtype="Int64"),
            "train_s": [0.3, 0.2, 1.1, 1.0],
            "examples_per_s": [10_000 / 0.3, 10_000 / 0.2, 50_000 / 1.1, 50_000 / 1.0],
        }
    )
    assert stats.run_seconds(rows).to_dict() == pytest.approx({"part": 1.0, "whole": 1.0})
    once = stats.whole_epochs(rows)
    assert stats.whole_epochs(once).train_s.tolist() == pytest.approx(once.train_s.tolist())


def test_the_same_runs_always_give_the_same_interval():
    rng = np.random.default_rng(3)
    a, b = runs_at(1.1, 5, 0.03, rng), runs_at(1.0, 5, 0.03, rng)
    assert stats.compare("k", "a", a, "b", b) == stats.compare("k", "a", a, "b", b)


def test_as_dict_has_the_documented_shape():
    c = stats.compare(
        "hand-written, hidden=30, batch=1000", "numpy", [1.0] * 5, "torch", [1.3, 1.31, 1.29, 1.3, 1.3]
    )
    row = c.as_dict()
    assert set(row) == {"key", "sides", "faster", "ratio", "low", "high", "runs", "ahead", "design"}
    assert row["design"] == "runs"
    assert row["faster"] == "numpy" and row["low"] <= row["ratio"] <= row["high"] and row["runs"] == [5, 5]


def frame(rows):
    return pd.DataFrame(rows, columns=["run_id", "config_key", "others_cores", "steal_share"])


def test_busy_runs_by_other_processes_or_stolen_time_and_unknown_is_not_busy():
    runs = frame([("a", "x", 0.0, 0.0), ("b", "x", 1.2, 0.0), ("c", "x", 0.0, 0.2), ("d", "x", None, None)])
    assert stats.busy(runs).tolist() == [False, True, True, False]


def test_busy_runs_are_left_out_only_where_idle_runs_of_the_configuration_exist():
    runs = frame([("a", "x", 0.0, 0.0), ("b", "x", 1.0, 0.0), ("c", "y", 1.0, 0.0), ("d", "y", 0.9, 0.0)])
    kept, left_out, busy_only = stats.without_busy(runs)
    assert kept.run_id.tolist() == ["a", "c", "d"] and left_out == 1 and busy_only == 1


def side_noise(shape: str, n: int, rng) -> np.ndarray:
    """A pair's side's own factor, beyond what the pair shares: builds and their memory layouts
    differ by about 1.5% (docs/fairness.md, "Where the noise lives"), skewed, or with rare outliers."""
    jitter = np.exp(rng.normal(0, 0.015, n))
    if shape == "skewed":
        return jitter * (1 + rng.exponential(0.02, n))
    if shape == "outliers":
        return jitter * np.where(rng.random(n) < 0.1, 1.3, 1.0)
    return jitter


@pytest.mark.parametrize("shape", ["normal", "skewed", "outliers"])
def test_a_a_pairs_cover_one_at_the_nominal_rate_whatever_the_processes_share(shape):
    """A backend against itself through the pairs: each process slows both sides alike by up to 20%,
    and each side has its own noise; at stats.MIN_RUNS pairs the 95% interval covers 1.00 in 93 to 97%
    of trials where the noise is near normal, and in no fewer where it has outliers."""
    rng = np.random.default_rng(11)
    trials, covered = 1000, 0
    for _ in range(trials):
        shared = np.exp(rng.normal(0, 0.2, stats.MIN_RUNS))
        a, b = (
            shared * side_noise(shape, stats.MIN_RUNS, rng),
            shared * side_noise(shape, stats.MIN_RUNS, rng),
        )
        c = stats.compare_pairs("k", "a", "b", a / b)
        covered += c.a_over_b[1] <= 1 <= c.a_over_b[2]
    assert 0.93 <= covered / trials <= (1 if shape == "outliers" else 0.97)


def test_pairs_cancel_what_their_sides_share_where_separate_runs_cannot():
    """A true 1.1 under process factors spread over 20%: separate runs leave it undecided, the pairs
    decide it with an interval a few percent wide."""
    rng = np.random.default_rng(2)
    shared = np.exp(rng.normal(0, 0.2, stats.MIN_RUNS))
    a, b = 1.1 * shared * side_noise("normal", 5, rng), shared * side_noise("normal", 5, rng)
    assert not stats.compare("k", "a", a, "b", b).decided
    c = stats.compare_pairs("k", "a", "b", a / b)
    assert c.faster == "b" and c.design == "pairs" and c.low < 1.1 < c.high and c.high / c.low < 1.06


def test_under_five_pairs_there_is_no_interval_and_no_decision():
    c = stats.compare_pairs("k", "a", "b", [2.0, 2.1, 1.9, 2.0])
    assert math.isnan(c.low) and not c.decided and c.runs == (4, 4)


def test_busy_needs_other_work_beyond_a_clock_tick_over_a_short_epoch():
    """/proc/stat counts in 10 ms ticks: a tick of another process over a 20 ms epoch reads as half a
    core, which is not yet other work."""
    rows = pd.DataFrame(
        {"others_cores": [0.5, 0.5, 0.1], "steal_share": [0.0, 0.0, 0.0], "train_s": [0.02, 0.2, 10.0]}
    )
    assert stats.busy(rows).tolist() == [False, True, False]
    # An epoch of part of the training set keeps its verdict once scaled to a whole epoch.
    part = rows.assign(
        epoch_examples=pd.array([5_000] * 3, dtype="Int64"), examples_per_s=5_000 / rows.train_s
    )
    assert stats.busy(stats.whole_epochs(part)).tolist() == [False, True, False]
