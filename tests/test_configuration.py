"""benchmarks.configuration: what makes two runs the same configuration, built and labelled in one place."""

import pytest
from omegaconf import OmegaConf

from benchmarks import config, configuration, registry
from benchmarks.configuration import NIELSEN
from tests.conftest import ROOT, compose_config


def test_nielsens_setting_is_the_default_everywhere_it_is_written():
    assert {key: registry.run_settings()[key] for key in NIELSEN} == NIELSEN
    assert {key: registry.run_settings()[key] for key in configuration.CHAPTER_1} == configuration.CHAPTER_1
    assert {key: getattr(config.BenchConfig, key) for key in NIELSEN} == NIELSEN
    preset = OmegaConf.load(ROOT / "conf" / "sweep" / "nielsen.yaml")
    assert {key: preset[key] for key in NIELSEN} == NIELSEN


def identity(*overrides, **context):
    cfg = compose_config(*overrides)
    options = registry.net_options(cfg.backend.net)
    return configuration.identity(cfg, options, **({"launcher": "basic", "parallel_jobs": 1} | context))


def test_identity_holds_every_configuration_field_but_the_device_and_the_seed():
    row = identity("backend=torch", "batch_size=100", "seed=3")
    assert set(configuration.CONFIGURATION) - set(row) == {"device"}
    assert row["backend"] == "torch" and row["batch_size"] == 100 and row["seed"] == 3
    assert row["dtype"] == "float32" and row["hidden_layers"] == "30"
    assert row["backend_options"] == configuration.options_text(registry.backend_options("torch"))


def test_an_unpinned_backend_is_known_by_the_threads_its_libraries_default_to(monkeypatch):
    monkeypatch.setattr(configuration.env, "thread_counts", lambda: {"torch_threads": 7, "blas_threads": 2})
    assert identity("backend=torch_naive", "threads=1")["threads"] == 7
    assert identity("backend=torch", "threads=1")["threads"] == 1


def keyed(*overrides, **fields):
    return configuration.config_hash(identity(*overrides) | {"device": "cpu"} | fields)


def test_every_setting_and_backend_option_separates_configurations_but_the_seed_does_not():
    base = keyed()
    assert keyed("seed=5") == base
    others = [
        keyed("batch_size=100"),
        keyed("hidden=100"),
        keyed("eta=2.0"),
        keyed("epochs=5"),
        keyed("dtype=float64"),
        keyed("backend=torch"),
        keyed("backend=torch", "backend.net.torchscript=false"),
        keyed(device="cuda"),
        keyed(parallel_jobs=2),
    ]
    assert len({base, *others}) == len(others) + 1


@pytest.mark.parametrize(
    ("fields", "label"),
    [
        ({}, "torch (cpu)"),
        (
            {"backend_options": '{"cuda_graphs": true, "graph_steps": 100, "torchscript": false}'},
            "torch (cpu, torchscript=false)",
        ),
        ({"dtype": "float64", "eta": 0.5}, "torch (cpu, float64, eta=0.5)"),
        ({"device": "cuda", "graph_fraction": 0.95}, "torch (cuda, graphs)"),
        ({"device": "cuda", "graph_fraction": 0.4}, "torch (cuda, partly graphed (40%))"),
    ],
)
def test_a_variant_is_labelled_by_what_differs_from_the_defaults(fields, label):
    row = identity("backend=torch") | {"device": "cpu"} | fields
    assert configuration.variant(row) == label


def test_a_learners_file_is_always_named_in_its_label():
    row = identity("backend=yours") | {"device": "cpu"}
    assert configuration.variant(row) == "yours (cpu, path=examples/network.py)"


def test_the_first_provenance_difference_is_said_in_words():
    now = {"git_commit": "abcdef0123", "hostname": "a", "git_diff": None}
    assert configuration.provenance_difference(now | {"git_commit": "0123456789"}, now) == (
        "with git_commit 0123456 (now abcdef0)"
    )
    assert configuration.provenance_difference(now | {"git_diff": "feed"}, now) == "with uncommitted changes"
    assert configuration.provenance_difference(now, now) == "with the same provenance"
