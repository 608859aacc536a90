"""Pairs (benchmarks.pairs, benchmarks.commands.pairs): two sides timed in one process, epoch by epoch
in turn, on tiny synthetic data; and the answers' comparisons from them (benchmarks.report.paired)."""

from itertools import islice
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from benchmarks import env, pairs, results, stats
from benchmarks.commands import pairs as pairs_command
from benchmarks.report import noise, paired
from tests.conftest import compose_config
from tests.synthetic import Recording, tiny_mnist

RECORDING = "backend.net._target_=tests.synthetic.Recording"
SLEEPY = ["backend.net._target_=tests.synthetic.Sleepy", "+backend.net.epoch_sleep_s=0.03"]


def sides(*overrides, threads=(1, 1)):
    return tuple(compose_config("backend=numpy", f"threads={n}", "seed=3", *overrides) for n in threads)


def timed_pair(cfgs, **settings):
    data = tiny_mnist()
    return pairs.measured(cfgs, pairs.side_bases(cfgs, data), data, **settings)


def test_the_sides_take_turns_a_b_b_a_so_that_a_steady_drift_falls_on_both_alike():
    assert list(islice(pairs.turns(0), 8)) == [0, 1, 1, 0, 0, 1, 1, 0]
    assert list(islice(pairs.turns(1), 4)) == [1, 0, 0, 1]


def test_both_sides_start_from_the_same_parameters_and_train_on_the_same_batches():
    Recording.built.clear()
    rows = timed_pair(sides(RECORDING), timed_epochs=2, retries=0, first=0)
    a, b = Recording.built
    assert all(np.array_equal(x, y) for x, y in zip(a.start, b.start))
    assert len(a.orders) == len(b.orders) == 3  # a warm-up epoch, then two timed
    assert all(np.array_equal(x, y) for x, y in zip(a.orders, b.orders))
    assert not np.array_equal(a.orders[1], a.orders[2])  # each epoch its own shuffle
    [side_a, side_b] = rows
    assert [r["warmup"] for r in side_a] == [True, False, False]
    assert {r["pair_id"] for r in side_a + side_b} == {side_a[0]["pair_id"]}
    assert {r["pair_side"] for r in side_a} == {0} and {r["pair_side"] for r in side_b} == {1}
    assert side_a[0]["run_id"] != side_b[0]["run_id"] and side_a[0]["seed"] == 3


class ScriptedLoad:
    """env.MachineLoad whose blocks report other work as scripted: `others` cores, block by block."""

    others: list[float] = []

    def __init__(self, helpers=()):
        self.others_cores, self.steal_share = None, 0.0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.others_cores = ScriptedLoad.others.pop(0) if ScriptedLoad.others else 0.0

    def as_row(self):
        return {"others_cores": self.others_cores, "steal_share": self.steal_share}


def test_a_busy_epoch_is_kept_marked_and_its_turn_taken_again(monkeypatch):
    monkeypatch.setattr(env, "MachineLoad", ScriptedLoad)
    monkeypatch.setattr(pairs, "time", SimpleNamespace(sleep=lambda seconds: None))  # pairs' waits only
    # Warm-ups idle; then side 0's first timed epoch busy, and side 1's first two.
    ScriptedLoad.others = [0.0, 0.0, 1.0, 1.0, 1.0]
    rows = timed_pair(sides(*SLEEPY), timed_epochs=2, retries=4, first=0)
    frame = pd.DataFrame(rows[0] + rows[1])
    timed = frame[~frame.warmup]
    busy = stats.busy(timed)
    assert busy.sum() == 3
    assert (timed[~busy].groupby("pair_side").size() == 2).all()  # each side got its two idle epochs
    seconds = paired.sides_seconds(results.to_frame(rows[0] + rows[1]))
    assert not seconds.busy.any(axis=None)


def test_a_side_that_is_never_idle_stops_after_its_retries_and_is_judged_from_its_busy_epochs(monkeypatch):
    monkeypatch.setattr(env, "MachineLoad", ScriptedLoad)
    waited = []
    monkeypatch.setattr(pairs, "time", SimpleNamespace(sleep=waited.append))
    ScriptedLoad.others = [0.0, 0.0] + [1.0] * 100
    rows = timed_pair(sides(*SLEEPY), timed_epochs=2, retries=1, first=1)
    assert [len(side) for side in rows] == [4, 4]  # a warm-up and 2 + 1 timed epochs each, then no more
    # B A | A B B A: each side's second and third tries wait for the load to pass, twice as long again
    assert waited == [pairs.RETRY_WAIT_S, pairs.RETRY_WAIT_S, 2 * pairs.RETRY_WAIT_S, 2 * pairs.RETRY_WAIT_S]
    seconds = paired.sides_seconds(results.to_frame(rows[0] + rows[1]))
    assert seconds.busy.all(axis=None) and seconds.per_example.notna().all(axis=None)


def test_a_thread_pair_lets_the_wider_sides_idle_threads_settle_before_the_narrower_one(monkeypatch):
    slept = []
    monkeypatch.setattr(pairs, "time", SimpleNamespace(sleep=slept.append))
    monkeypatch.setattr(env, "MachineLoad", ScriptedLoad)  # idle throughout, whatever else runs here
    ScriptedLoad.others = []
    timed_pair(sides(threads=(1, 2)), timed_epochs=2, retries=0, first=0)
    # 1 2 | 1 2 2 1: the 1-thread warm-up starts the process, then each 1 after a 2 waits
    assert slept == [pairs.SETTLE_S] * 2


def pair_rows(ratio_by_pair, a=("numpy", 1), b=("torch", 1), shared=None):
    """Rows of pairs, one a round, whose side-0 time over side-1 time is each of `ratio_by_pair`, with
    a factor shared by both sides of a pair (what the pairing cancels)."""
    rng = np.random.default_rng(0)
    rows = []
    for k, ratio in enumerate(ratio_by_pair):
        both = shared[k] if shared is not None else float(np.exp(rng.normal(0, 0.2)))
        for side, ((backend, threads), seconds) in enumerate(zip((a, b), (ratio * both, both))):
            for epoch in (1, 2, 3):
                rows.append(
                    {
                        "run_id": f"{k}-{side}", "pair_id": f"p{k}", "pair_side": side, "seed": k,
                        "backend": backend, "threads": threads, "hidden": 30, "batch_size": 10,
                        "device": "cpu", "status": "ok",
                        "epoch": epoch, "warmup": epoch == 1, "train_s": seconds,
                        "examples_per_s": 10_000 / seconds, "others_cores": 0.0, "steal_share": 0.0,
                    }
                )  # fmt: skip
    return pd.DataFrame(rows)


def test_a_pairs_ratio_is_its_first_side_over_its_second_whichever_order_it_was_timed_in():
    rows = pair_rows([2.0] * 5)
    sides = paired.sides_seconds(rows)
    forward = paired.ratios(sides, ("numpy", 1), ("torch", 1), 30, 10)
    assert forward.tolist() == pytest.approx([2.0] * 5)
    assert paired.ratios(sides, ("torch", 1), ("numpy", 1), 30, 10).tolist() == pytest.approx([0.5] * 5)
    assert paired.ratios(sides, ("numpy", 1), ("torch", 1), 100, 10).empty


def test_what_both_sides_of_a_pair_share_cancels_and_the_separate_runs_comparison_is_kept_beside():
    """Process factors spread over 20%: separate runs cannot tell 1.1 from 1; the pairs can."""
    rng = np.random.default_rng(5)
    shared = np.exp(rng.normal(0, 0.2, 5))
    rows = pair_rows(1.1 * np.exp(rng.normal(0, 0.01, 5)), shared=shared)
    runs = stats.compare("k", "numpy", 1.1 * shared[::-1], "torch", shared)
    c = paired.paired_instead(runs, paired.sides_seconds(rows), ("numpy", 1), ("torch", 1), 30, 10)
    assert not runs.decided
    assert c.design == "pairs" and c.faster == "torch" and c.runs == (5, 5)
    assert 1.05 < c.low < c.high < 1.15 and c.whole_runs == runs.a_over_b
    assert c.agrees is True and c.as_dict()["whole_runs"] == pytest.approx(list(runs.a_over_b), abs=1e-4)


def test_without_pairs_the_comparison_of_separate_runs_stands():
    runs = stats.compare("k", "numpy", [1.0] * 5, "torch", [2.0] * 5)
    assert paired.paired_instead(runs, None, ("numpy", 1), ("torch", 1), 30, 10) is runs


def test_the_noise_section_shows_the_a_a_pairs_and_each_paired_comparison_beside_separate_runs():
    same = pair_rows([1.0] * 5, a=("numpy", 1), b=("numpy", 1))
    rows = pd.concat([same, pair_rows([2.0] * 5).assign(pair_id=lambda f: "q" + f.pair_id)])
    runs = stats.compare("hand-written, hidden=30, batch=10", "numpy", [2.4] * 5, "torch", [1.0] * 5)
    sides = paired.sides_seconds(rows)
    c = paired.paired_instead(runs, sides, ("numpy", 1), ("torch", 1), 30, 10)
    [a_a] = paired.a_a(sides)
    assert a_a.sides == ("numpy (a)", "numpy (b)") and a_a.low <= 1 <= a_a.high
    [text, a_a_table, check, agreement] = noise.noise_blocks([c], sides)
    assert "1 of 1 intervals cover it" in text.text and a_a_table.frame["covers 1.00"].tolist() == ["yes"]
    assert agreement.frame["intervals overlap"].tolist() == ["**no**"]  # 2.0 from pairs, 2.4 from runs
    assert "0 of 1 intervals overlap" in check.text


def tiny_pairs(tmp_path, **extra):
    path = tmp_path / "pairs.yaml"
    lines = [
        "timed_epochs: 2",
        "retries: 1",
        "epoch_examples: null",
        "overrides: [data._target_=tests.synthetic.tiny_mnist]",
        "pairs:",
        "  - {sides: [numpy, numpy_loop], hidden: 5, batch_size: [20, 50]}",
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_the_command_times_a_round_once_and_resumes_where_it_stopped(tmp_path, capsys):
    conf, out = tiny_pairs(tmp_path), tmp_path / "results"
    for round_ in (0, 1):
        assert (
            pairs_command.main(["--round", str(round_), "--pairs", str(conf), "--results-dir", str(out)]) == 0
        )
    said = capsys.readouterr().out
    assert said.count("[2/2]") == 2 and "numpy 1 thread / numpy_loop 1 thread, hidden 5, batch 50" in said
    runs = results.load(out / "runs.parquet")
    assert runs.pair_id.nunique() == 4 and set(runs.seed) == {0, 1}
    assert pairs_command.main(["--round", "1", "--pairs", str(conf), "--results-dir", str(out)]) == 0
    assert capsys.readouterr().out.count("already timed in round 1") == 2
    assert results.load(out / "runs.parquet").pair_id.nunique() == 4
    # A whole run of a paired configuration is not taken for done by the pairs' rows.
    side = runs.iloc[0]
    assert results.finished_runs(out, side.config_hash, int(side.seed)).empty


def test_a_missing_pairs_file_is_one_line_saying_what_to_give(tmp_path, capsys):
    assert pairs_command.main(["--round", "0", "--pairs", str(tmp_path / "nope.yaml")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "shaped like conf/pairs.yaml" in err


@pytest.mark.parametrize(
    ("pair", "said"),
    [
        ("{sides: [numpy, tensorflow], hidden: 5, batch_size: [20]}", "tensorflow"),
        ("{sides: [numpy, torch], batch_size: [20]}", "hidden"),
        ("{sides: [numpy, torch], hidden: 5, batch_size: [0]}", "batch_size"),
        ("{sides: [numpy, torch], hidden: 5, batch_size: [20]", "pairs.yaml"),
    ],
)
def test_a_pairs_file_naming_what_cannot_run_is_one_line_before_anything_runs(tmp_path, capsys, pair, said):
    conf = tmp_path / "pairs.yaml"
    conf.write_text(f"timed_epochs: 1\nretries: 0\nepoch_examples: null\npairs:\n  - {pair}\n")
    assert pairs_command.main(["--round", "0", "--pairs", str(conf), "--results-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and said in err and not (tmp_path / "runs").exists()
