"""Where the timing noise lives: the levels and the pairing from block times whose structure is set,
and the command end to end on MNIST."""

import numpy as np
import pandas as pd
import pytest

from benchmarks.commands import noise


def blocks(process_effect=0.0, epoch_effect=0.0, shared=0.0, seed=0):
    """Block times of two backends, 4 processes × 3 epochs × 5 blocks, numpy 1.2 times torch's; each
    process and epoch scaled by its own draw (each backend apart), and by one both share."""
    rng = np.random.default_rng(seed)
    rows = []
    for process in range(4):
        common = 1 + shared * rng.standard_normal()
        for backend, base in (("numpy", 1.2), ("torch", 1.0)):
            by_process = 1 + process_effect * rng.standard_normal()
            for epoch in (2, 3, 4):
                by_epoch = 1 + epoch_effect * rng.standard_normal()
                rows += [
                    {"process": process, "backend": backend, "epoch": epoch, "block": block,
                     "seconds": base * common * by_process * by_epoch}
                    for block in range(5)
                ]  # fmt: skip
    return pd.DataFrame(rows)


def test_each_level_shows_the_variation_put_there_and_none_elsewhere():
    quiet = noise.levels(blocks()).set_index("backend")
    assert (quiet[["blocks in an epoch", "epochs in a process", "processes"]] < 1e-12).all().all()
    by_process = noise.levels(blocks(process_effect=0.05)).set_index("backend")
    assert (by_process.processes > 0.01).all() and (by_process["epochs in a process"] < 1e-12).all()
    by_epoch = noise.levels(blocks(epoch_effect=0.05)).set_index("backend")
    assert (by_epoch["epochs in a process"] > 0.01).all() and (by_epoch["blocks in an epoch"] < 1e-12).all()
    assert by_epoch.loc["numpy", "epoch s"] == pytest.approx(1.2 * 5, rel=0.2)


def test_noise_both_sides_share_cancels_in_the_paired_ratio_and_not_across_processes():
    paired = noise.pairing(blocks(shared=0.1))
    assert paired["ratio"] == "numpy/torch" and paired["median"] == pytest.approx(1.2)
    assert paired["paired, epochs in a process"] == pytest.approx(0, abs=1e-12)
    assert paired["unpaired, processes"] == pytest.approx(0, abs=1e-12)  # shared within a process too
    apart = noise.pairing(blocks(process_effect=0.05))
    assert apart["unpaired, processes"] > 0.01 and apart["paired, epochs in a process"] < 1e-12


def test_backends_take_turns_by_epoch_or_block_by_block_each_leading_every_other_block():
    assert noise.turns(["a", "b"], 2, alternate=False) == [("a", 0), ("a", 1), ("b", 0), ("b", 1)]
    assert noise.turns(["a", "b"], 3, alternate=True) == [
        ("a", 0), ("b", 0), ("b", 1), ("a", 1), ("a", 2), ("b", 2),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--backends", "numpy,nope"], "--backends: unknown backend nope"),
        (["--processes", "1"], "--processes=1: must be at least 2"),
        (["--block", "5000"], "an epoch must hold at least 2 blocks"),
    ],
)
def test_bad_options_get_one_line(argv, message, capsys):
    assert noise.main(argv) == 2
    assert message in capsys.readouterr().err


@pytest.mark.mnist
def test_the_command_measures_each_level_for_each_backend(capsys):
    assert noise.main(["--processes", "2", "--epochs", "3", "--block", "1000"]) == 0
    out = capsys.readouterr().out
    assert "2 processes × 2 timed epochs, blocks of 1000 mini-batches of 10" in out
    assert out.count("\n  numpy ") == 1 and out.count("\n  torch ") == 1
    assert "ratio: numpy/torch" in out and "paired, epochs in a process: " in out
    argv = ["--processes", "2", "--epochs", "3", "--block", "1000", "--alternate", "--bursts", "0.5"]
    assert noise.main(argv) == 0
    out = capsys.readouterr().out
    assert "taking turns block by block, a helper busy 0.5 s on, 0.5 s off" in out
