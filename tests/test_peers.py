"""`make perf`: every pair timed side by side, the ratios printed and stored."""

import pandas as pd
import pytest
import torch
from omegaconf import OmegaConf

from benchmarks import env, registry
from benchmarks.commands import peers
from tests.synthetic import tiny_mnist

pytestmark = pytest.mark.mnist  # the harness-overhead runs read the real MNIST cache


def test_peers_prints_and_appends_every_pair(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(peers, "load_mnist", tiny_mnist)
    setting = OmegaConf.load(peers.CONF / "peers.yaml")
    for _ in range(2):  # the second run appends
        peers.main(["--rounds", "2", "--results-dir", str(tmp_path)])
    out = capsys.readouterr().out
    unpinned = {
        name for name, conf in registry.backend_configs().items() if not conf.get("pin_threads", True)
    }
    for pair in setting.pairs:
        assert f"| {pair.backend} | {pair.peer} | 1 (pinned: the code alone) | " in out
        default = (
            f"| {pair.backend} | {pair.peer} | {torch.get_num_threads()} (its default: what a user gets) | "
        )
        assert (default in out) == (pair.peer in unpinned)
    assert "harness overhead:" in out

    stored = pd.read_parquet(tmp_path / "peers.parquet")
    assert stored.run_id.nunique() == 2
    backends = {name for pair in setting.pairs for name in (pair.backend, pair.peer)}
    per_run = stored.groupby(["run_id", "backend", "pinned"]).size()
    assert set(stored.backend) == backends and (per_run == 2).all()
    assert set(stored[~stored.pinned].backend) == unpinned & backends
    assert (stored[stored.pinned].threads == setting.threads).all()
    assert (stored.train_s > 0).all() and (stored.device == "cpu").all()
    assert (stored.harness_overhead_s.notna()).all()


@pytest.mark.skipif(env.cuda_available(), reason="checks the message given where there is no GPU")
def test_peers_on_cuda_without_a_gpu_says_so_in_one_line(tmp_path, capsys):
    assert peers.main(["--device", "cuda", "--results-dir", str(tmp_path)]) == 2
    assert (
        capsys.readouterr().err == "error: --device cuda: no CUDA GPU on this machine; run without --device\n"
    )
    assert not (tmp_path / "peers.parquet").exists()
