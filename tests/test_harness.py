"""The harness on tiny synthetic data, driven in-process through Hydra's compose API."""

import contextlib
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
from hydra import compose, initialize_config_dir

from benchmarks import config, configuration, harness, results
from tests.conftest import ROOT, TINY, run_py
from tests.synthetic import CountsExamples

config.register()


def make_config(tmp_path, *overrides):
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        return compose("config", overrides=[*TINY, f"results_dir={tmp_path}", *overrides])


def load(tmp_path):
    return pd.read_parquet(tmp_path / "runs.parquet")


def test_run_writes_one_row_per_epoch_with_the_schema(tmp_path):
    assert harness.run(make_config(tmp_path, "backend=torch", "epochs=3"), multirun=False) == "ok"
    runs = load(tmp_path)
    assert len(runs) == 3
    assert list(runs.columns) == list(results.COLUMNS)
    assert {c: str(t) for c, t in runs.dtypes.items()} == {
        c: str(pd.Series([], dtype=t).dtype) for c, t in results.COLUMNS.items()
    }
    assert runs.epoch.tolist() == [1, 2, 3]
    assert runs.warmup.tolist() == [True, False, False]
    assert (runs.status == "ok").all() and runs.run_id.nunique() == 1
    assert (runs.train_s > 0).all() and (runs.eval_s > 0).all() and (runs.setup_s > 0).all()
    assert (runs.examples_per_s == 200 / runs.train_s).all()
    assert runs.elapsed_train_s.tolist() == pytest.approx(runs.train_s.cumsum().tolist())
    assert runs.threads.eq(1).all() and runs.blas_threads.eq(1).all() and runs.torch_threads.eq(1).all()
    assert (runs.graph_fraction == 0).all() and not runs.cuda_graphs.any()
    assert runs.cpus.eq(1).all(), "a 1-thread run is bound to one core, whatever its libraries do"
    assert runs.test_acc.between(0, 1).all() and runs.loadavg_start.notna().all()


def test_time_to_target_is_cumulative_training_time_to_validation_accuracy(tmp_path):
    """Validation first reaches the target at epoch 2, test only at epoch 3: the clock stops at
    epoch 2's cumulative time, which neither a per-epoch time nor a test-set stop would give."""
    scripted = ["data._target_=tests.synthetic.tiny_mnist_smaller_test", "epochs=4"]
    scripted += ["backend.net._target_=tests.synthetic.ScriptedAccuracy", "target_accuracy=0.5"]
    assert harness.run(make_config(tmp_path, *scripted), multirun=False) == "ok"
    harness.run(make_config(tmp_path, "target_accuracy=1.0", "seed=1"), multirun=False)
    runs = load(tmp_path)
    reached, never = runs[runs.seed == 0], runs[runs.seed == 1]
    assert reached.time_to_target_s.iloc[0] == pytest.approx(reached.train_s.iloc[:2].sum())
    assert (reached.time_to_target_s == reached.time_to_target_s.iloc[0]).all()
    with_setup = reached.time_to_target_s + reached.setup_s
    assert reached.time_to_target_with_setup_s.tolist() == pytest.approx(with_setup.tolist())
    assert reached.test_acc.tolist() == [0.1, 0.3, 0.9, 0.9]
    assert never.time_to_target_s.isna().all() and never.time_to_target_with_setup_s.isna().all()


@pytest.mark.skipif(harness.env.cuda_available(), reason="this machine has a GPU")
def test_cuda_without_gpu_is_skipped_in_a_sweep_and_refused_in_a_single_run(tmp_path):
    cfg = make_config(tmp_path, "backend=torch", "device=cuda")
    assert harness.run(cfg, multirun=True) == "skipped"
    runs = load(tmp_path)
    assert runs.status.tolist() == ["skipped"] and runs.error.tolist() == ["CUDA not available"]
    with pytest.raises(harness.RunError, match="CUDA not available"):
        harness.run(cfg, multirun=False)


def test_numpy_backend_on_cuda_is_skipped(tmp_path):
    assert harness.run(make_config(tmp_path, "backend=numpy", "device=cuda"), multirun=True) == "skipped"
    assert "runs on cpu only" in load(tmp_path).error.iloc[0]


def test_diverged_run_is_marked_and_ended_early(tmp_path):
    cfg = make_config(tmp_path, "epochs=5", "backend.net._target_=tests.synthetic.NaNAfterFirstEpoch")
    assert harness.run(cfg, multirun=True) == "diverged"
    runs = load(tmp_path)
    assert runs.epoch.tolist() == [1, 2]
    assert (runs.status == "diverged").all() and runs.error.notna().all()


def test_failing_run_is_recorded_and_the_sweep_goes_on(tmp_path):
    cfg = make_config(tmp_path, "backend.net._target_=tests.synthetic.RaisesInTraining")
    assert harness.run(cfg, multirun=True) == "failed"
    assert harness.run(make_config(tmp_path, "seed=1"), multirun=True) == "ok"
    runs = load(tmp_path)
    failed = runs[runs.status == "failed"]
    assert failed.error.tolist() == ["RuntimeError: injected fault"]
    assert (runs.status == "ok").sum() == 2
    assert len(list((tmp_path / "tracebacks").iterdir())) == 1


def test_resume_skips_finished_runs_unless_forced(tmp_path):
    cfg = make_config(tmp_path)
    harness.run(cfg, multirun=True)
    first = load(tmp_path)
    harness.run(cfg, multirun=True)
    assert load(tmp_path).equals(first)
    harness.run(make_config(tmp_path, "seed=1"), multirun=True)
    harness.run(make_config(tmp_path, "force=true"), multirun=True)
    assert load(tmp_path).run_id.nunique() == 3


def test_config_hash_separates_every_setting_and_backend_option_but_not_seeds(tmp_path):
    variants = [
        (),
        ("seed=5",),
        ("batch_size=10",),
        ("eta=2.0",),
        ("threads=2",),
        ("dtype=float64",),
        ("backend=torch",),
        ("backend=torch", "backend.net.torchscript=false"),
        ("backend=torch", "backend.net.graph_steps=7"),
        ("backend=torch", "backend.net.cuda_graphs=false"),
    ]
    for overrides in variants:
        assert harness.run(make_config(tmp_path, "epochs=1", *overrides), multirun=True) == "ok"
    runs = load(tmp_path)
    assert runs.config_hash.nunique() == len(variants) - 1
    assert runs[runs.seed == 5].config_hash.iloc[0] == runs.config_hash.iloc[0]
    recomputed = configuration.with_keys(results.upgrade(runs))
    assert (recomputed.config_key == runs.config_hash).all()
    assert (recomputed.provenance_key == runs.provenance_hash).all()
    torch_runs = runs[runs.backend == "torch"]
    assert set(configuration.variants(torch_runs)) == {
        "torch (cpu)",
        "torch (cpu, torchscript=false)",
        "torch (cpu, graph_steps=7)",
        "torch (cpu, cuda_graphs=false)",
    }


def other_provenance(monkeypatch, **changes):
    environment = harness.env.static_environment() | changes
    monkeypatch.setattr(harness.env, "static_environment", lambda: environment)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"git_commit": "0123456789abcdef"}, "with git_commit "),
        ({"git_diff": "feedbeef"}, "uncommitted changes"),
        ({"hostname": "another-machine"}, "with hostname "),
        ({"numpy": "1.0.0"}, "with numpy "),
        ({"blas": "OpenBLAS 0.0.1 (Haswell)"}, "with blas "),
        ({"speed_env": "OPENBLAS_CORETYPE=Haswell"}, "with speed_env "),
    ],
)
def test_resume_reruns_a_finished_run_made_with_other_code_machine_or_libraries(
    tmp_path, monkeypatch, caplog, change, reason
):
    harness.run(make_config(tmp_path), multirun=True)
    other_provenance(monkeypatch, **change)
    with caplog.at_level("INFO", logger="benchmarks.harness"):
        harness.run(make_config(tmp_path), multirun=True)
        harness.run(make_config(tmp_path), multirun=True)  # the rerun itself now counts
    runs = load(tmp_path)
    assert runs.run_id.nunique() == 2 and runs.provenance_hash.nunique() == 2
    rerun = [r.message for r in caplog.records if "running again" in r.message]
    assert len(rerun) == 1 and reason in rerun[0] and "\n" not in rerun[0]
    assert sum("already finished ok" in r.message for r in caplog.records) == 1


def test_resume_reruns_a_finished_run_on_other_data(tmp_path):
    harness.run(make_config(tmp_path), multirun=True)
    harness.run(make_config(tmp_path, "data._target_=tests.synthetic.tiny_mnist_other_draw"), multirun=True)
    runs = load(tmp_path)
    assert runs.run_id.nunique() == 2 and runs.data_sha256.nunique() == 2


def test_real_mnist_is_known_by_its_verified_hash(mnist):
    from benchmarks import data

    assert data.fingerprint(mnist) == data.SHA256


def test_peak_is_measured_per_library_dtype_and_before_the_background_load(tmp_path, monkeypatch):
    loads, active = [], []
    real_load, real_peak = harness.env.background_load, harness.env.gemm_peak

    @contextlib.contextmanager
    def load_marked(processes):
        loads.append(processes)
        with real_load(processes) as helpers:
            active.append(processes)
            try:
                yield helpers
            finally:
                active.pop()

    def peak_checked(*key):
        assert not active, "the peak must be measured before any background load starts"
        return real_peak(*key)

    monkeypatch.setattr(harness.env, "background_load", load_marked)
    monkeypatch.setattr(harness.env, "gemm_peak", peak_checked)
    harness.run(make_config(tmp_path, "background_load=1", "epochs=1"), multirun=True)
    harness.run(make_config(tmp_path, "backend=torch", "dtype=float64", "epochs=1"), multirun=True)
    harness.run(make_config(tmp_path, "backend=jax", "epochs=1"), multirun=True)
    runs = load(tmp_path).groupby("backend").first()
    assert loads == [1, 0, 0]
    assert runs.peak_source["jax"] == "jax.numpy.dot float32 cpu, 1 thread"
    assert runs.peak_source["numpy"] == "numpy.matmul float32 cpu, 1 thread"
    assert runs.peak_source["torch"] == "torch.mm float64 cpu, 1 thread"
    assert (runs.peak_gflops > 0).all()


def test_speed_changing_environment_variables_are_recorded(tmp_path):
    environ = {"OPENBLAS_CORETYPE": "Haswell", "HOME": "/root", "OMP_NUM_THREADS": "1"}
    assert harness.env.speed_env(environ) == "OMP_NUM_THREADS=1 OPENBLAS_CORETYPE=Haswell"
    # threadpoolctl sets this one itself on import, whatever the user's environment
    assert harness.env.speed_env(environ | {"KMP_DUPLICATE_LIB_OK": "True"}) == harness.env.speed_env(environ)
    harness.run(make_config(tmp_path), multirun=True)
    assert (load(tmp_path).speed_env == harness.env.speed_env()).all()


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("batch_size=ten", "batch_size"),
        ("no_such_key=1", "no_such_key"),
        ("backend=no_such_backend", "no_such_backend"),
        ("dtype=float16", "float16"),
        ("device=tpu", "tpu"),
    ],
)
def test_invalid_config_fails_at_start_with_hydras_message(override, message):
    done = run_py(override, "epochs=1")
    assert done.returncode != 0
    assert message in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.skipif(harness.env.cuda_available(), reason="this machine has a GPU")
def test_single_cuda_run_without_gpu_exits_with_one_line(tmp_path):
    done = run_py("backend=torch", "device=cuda", f"results_dir={tmp_path}", *TINY)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == "error: CUDA not available"
    assert "Traceback" not in done.stderr


def test_multirun_subprocess_merges_all_jobs_and_keeps_hydra_dirs_in_results(tmp_path):
    done = run_py("-m", "backend=numpy,torch", "seed=0,1", f"results_dir={tmp_path}", *TINY)
    assert done.returncode == 0, done.stderr
    runs = load(tmp_path)
    assert runs.run_id.nunique() == 4 and (runs.status == "ok").all()
    assert (tmp_path / "hydra" / "multiruns").is_dir()
    assert not (ROOT / "multirun").exists() and not (ROOT / "outputs").exists()


def test_killed_sweep_keeps_every_finished_run(tmp_path):
    args = ["-m", "backend=numpy", "seed=0,1,2,3,4,5,6,7", "epochs=3", f"results_dir={tmp_path}"]
    sweep = subprocess.Popen(
        [sys.executable, "run.py", *args, *TINY[:1]],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    run_files = tmp_path / "runs"
    deadline = time.monotonic() + 300  # only stops a hung sweep: the kill waits for 2 finished runs
    while len(list(run_files.glob("*.parquet"))) < 2 and sweep.poll() is None:
        assert time.monotonic() < deadline, "no 2 finished runs within 300 s"
        time.sleep(0.05)
    os.kill(sweep.pid, signal.SIGKILL)
    sweep.wait()
    finished = {p.stem for p in run_files.glob("*.parquet")}
    assert 2 <= len(finished) < 8
    runs = load(tmp_path)
    assert finished <= set(runs.run_id)
    assert (runs.groupby("run_id").epoch.count() == 3).all() and (runs.status == "ok").all()
    assert set(results.merge(tmp_path).run_id) == finished
    assert not list(tmp_path.rglob("*.part"))


def test_unpinned_backend_records_the_threads_it_ran_with(tmp_path):
    import torch

    harness.run(make_config(tmp_path, "backend=torch_naive", "threads=1"), multirun=False)
    runs = load(tmp_path)
    assert (runs.torch_threads == torch.get_num_threads()).all()
    assert (runs.threads == runs.torch_threads).all()
    assert (runs.cpus == os.cpu_count()).all()


def test_unimportable_implementation_is_one_line(tmp_path):
    done = run_py("backend.net._target_=impls.no_such_file.Network", f"results_dir={tmp_path}", *TINY)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: backend.net._target_=impls.no_such_file.Network: cannot be imported "
        "(No module named 'impls.no_such_file')"
    ]


def test_a_backend_whose_optional_dependency_is_missing_is_skipped_with_the_install_command(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(
        harness.registry, "optional_extras", lambda: {"backprop_bench_missing_package": "demo"}
    )
    cfg = make_config(tmp_path, "backend.net._target_=tests.needs_missing_package.Net")
    assert harness.run(cfg, multirun=True) == "skipped"
    error = load(tmp_path).error.iloc[0]
    assert error == (
        "backend numpy needs backprop_bench_missing_package, which is not installed: pip install '.[demo]'"
    )
    with pytest.raises(harness.RunError, match=r"pip install '\.\[demo\]'"):
        harness.run(cfg, multirun=False)


CHAPTER_3 = [
    "cost=cross_entropy",
    "lmbda=5",
    "init=scaled",
    "activation=tanh",
    "momentum=0.5",
    "hidden=[8,6]",
]


def test_chapter_3_settings_reach_the_network_and_are_recorded(tmp_path, monkeypatch):
    from impls.numpy_batch import NumpyBatch

    built = []
    original = NumpyBatch.__init__

    def spy(self, params, *args, **kwargs):
        built.append(([p.shape for p in params], kwargs))
        original(self, params, *args, **kwargs)

    monkeypatch.setattr(NumpyBatch, "__init__", spy)
    assert harness.run(make_config(tmp_path, "backend=numpy", "epochs=1"), multirun=True) == "ok"
    assert harness.run(make_config(tmp_path, "backend=numpy", "epochs=1", *CHAPTER_3), multirun=True) == "ok"
    (default_shapes, default_settings), (shapes, settings) = built
    assert default_settings == {"device": "cpu", "dtype": "float32"}, "chapter 1 passes none of them"
    assert shapes == [(8, 784), (8,), (6, 8), (6,), (10, 6), (10,)]
    assert settings == {
        "device": "cpu",
        "dtype": "float32",
        "cost": "cross_entropy",
        "lmbda": 5.0,
        "activation": "tanh",
        "momentum": 0.5,
    }
    row = load(tmp_path).iloc[-1]
    assert (row.hidden, row.hidden_layers, row.cost, row.output) == (8, "8,6", "cross_entropy", "sigmoid")
    assert (row.lmbda, row.init, row.activation, row.momentum) == (5.0, "scaled", "tanh", 0.5)
    assert configuration.variant(row.to_dict()) == (
        "numpy (cpu, layers=8,6, cost=cross_entropy, lmbda=5, init=scaled, activation=tanh, momentum=0.5)"
    )


def test_scaled_init_divides_the_same_draws_by_the_square_root_of_the_inputs():
    from benchmarks.fairness import init_params, layer_sizes

    normal = init_params(layer_sizes([8, 6]), seed=3)
    scaled = init_params(layer_sizes([8, 6]), seed=3, init="scaled")
    for index, (n, s) in enumerate(zip(normal, scaled)):
        expected = n / (n.shape[1] ** 0.5) if index % 2 == 0 else n
        assert (s == expected).all()


def test_a_softmax_output_is_recorded_with_the_log_likelihood_cost(tmp_path):
    cfg = make_config(tmp_path, "epochs=1", "output=softmax", "cost=cross_entropy")
    assert harness.run(cfg, multirun=True) == "ok"
    row = load(tmp_path).iloc[0]
    assert (row.output, row.cost) == ("softmax", "log_likelihood")
    assert configuration.variant(row.to_dict()) == "numpy (cpu, cost=log_likelihood, output=softmax)"


def test_each_chapter_3_setting_is_its_own_configuration(tmp_path):
    changes = [(), *((change,) for change in CHAPTER_3), ("output=softmax",), ("activation=relu",)]
    for overrides in changes:
        assert harness.run(make_config(tmp_path, "epochs=1", *overrides), multirun=True) == "ok"
    assert load(tmp_path).config_hash.nunique() == len(changes)


def test_an_unsupported_setting_is_recorded_in_a_sweep(tmp_path):
    cfg = make_config(tmp_path, "backend=numba", "hidden=[8,6]")
    assert harness.run(cfg, multirun=True) == "unsupported"
    runs = load(tmp_path)
    assert runs.status.tolist() == ["unsupported"]
    assert runs.error.tolist() == ["its compiled loop nests have one hidden layer, not 2"]
    assert runs.hidden_layers.tolist() == ["8,6"]


def test_a_single_unsupported_run_exits_with_one_line(tmp_path):
    done = run_py("backend=numba", "hidden=[8,6]", f"results_dir={tmp_path}", *TINY)
    assert done.returncode == 2
    last = done.stderr.strip().splitlines()[-1]
    assert last == "error: backend numba: its compiled loop nests have one hidden layer, not 2"
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("hidden=[30,0]", "hidden=[30, 0]: must be a width of at least 1 or a list of them"),
        ("hidden=[]", "hidden=[]: must be a width of at least 1 or a list of them"),
        ("lmbda=-1", "lmbda=-1.0: must be a finite number, 0 or above"),
        ("momentum=1.5", "momentum=1.5: must be at least 0 and below 1"),
    ],
)
def test_a_chapter_3_value_a_run_cannot_use_is_one_line(tmp_path, override, message):
    done = run_py(override, f"results_dir={tmp_path}", *TINY)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == f"error: {message}"


@pytest.mark.parametrize(
    ("override", "value"), [("cost=hinge", "hinge"), ("activation=softplus", "softplus")]
)
def test_an_unknown_chapter_3_choice_fails_with_hydras_message(override, value):
    done = run_py(override, "epochs=1")
    assert done.returncode != 0
    assert value in done.stderr and "Traceback" not in done.stderr


def test_headline_prints_chapter_3_medians_beside_the_books_figures(tmp_path, capsys):
    from benchmarks.commands import headline

    chapter_3 = ["+sweep=nielsen3", "hidden=30", "lmbda=0.0", "batch_size=10", "epochs=2"]
    for seed in (0, 1, 2):
        assert harness.run(make_config(tmp_path, *chapter_3, f"seed={seed}"), multirun=True) == "ok"
    assert harness.run(make_config(tmp_path, "batch_size=10", "epochs=2"), multirun=True) == "ok"
    # At chapter 1's eta and sizes, but cross-entropy: not chapter 1's network.
    other = make_config(tmp_path, "batch_size=10", "epochs=2", "cost=cross_entropy", "seed=5")
    assert harness.run(other, multirun=True) == "ok"
    assert headline.main([str(tmp_path / "runs.parquet")]) == 0
    lines = capsys.readouterr().out.splitlines()
    finals = load(tmp_path).query("cost == 'cross_entropy' and eta == 0.5 and epoch == 2").test_acc
    [line] = [line for line in lines if line.startswith("cross-entropy, 30 hidden, eta 0.5:")]
    assert f"numpy {finals.median():.2%} (test accuracy, median of 3 seeds, after 2 epochs)" in line
    assert "book 95.49%" in line and "chap3.html#using_the_cross-entropy_to_classify_mnist_digits" in line
    [chapter_1] = [line for line in lines if "Nielsen: 95.42%" in line]
    assert chapter_1.startswith("numpy: median of best over 1 seeds"), "chapter 3's runs are not chapter 1's"


def test_part_of_an_epoch_is_trained_timed_and_recorded_and_evaluated_after_the_last_only(tmp_path):
    counting = "backend.net._target_=tests.synthetic.CountsExamples"
    cfg = make_config(tmp_path, counting, "epochs=3", "epoch_examples=50", "evaluate=last", "batch_size=10")
    assert harness.run(cfg, multirun=False) == "ok"
    runs = load(tmp_path)
    assert CountsExamples.trained[-3:] == [50, 50, 50]
    assert (runs.epoch_examples == 50).all() and runs.schema_version.eq(results.SCHEMA_VERSION).all()
    assert runs.examples_per_s.tolist() == pytest.approx((50 / runs.train_s).tolist())
    assert runs.test_acc.isna().tolist() == [True, True, False] and runs.eval_s.isna().tolist() == [
        True
    ] * 2 + [False]
    # a whole epoch is another configuration, that keeps the key runs had before epoch_examples existed
    harness.run(make_config(tmp_path, "epochs=3", "batch_size=10"), multirun=False)
    runs = configuration.with_keys(results.load(tmp_path / "runs.parquet"))
    assert runs.config_key.nunique() == 2

    whole = runs[runs.epoch_examples.isna()].iloc[0].to_dict()
    assert configuration.config_hash(whole) == configuration.config_hash(whole | {"epoch_examples": None})
    assert configuration.config_hash(whole) == configuration.digest(
        whole, [c for c in configuration.CONFIGURATION if c != "epoch_examples"]
    )


def test_a_run_evaluated_never_is_timed_alone(tmp_path):
    counting = "backend.net._target_=tests.synthetic.CountsExamples"
    cfg = make_config(tmp_path, counting, "epochs=2", "epoch_examples=50", "evaluate=never", "batch_size=10")
    assert harness.run(cfg, multirun=False) == "ok"
    runs = load(tmp_path)
    assert len(runs) == 2 and (runs.status == "ok").all() and (runs.train_s > 0).all()
    assert runs[["test_acc", "val_acc", "train_cost", "eval_s"]].isna().all().all()


@pytest.mark.parametrize(
    ("override", "message"),
    [
        (
            "epoch_examples=5",
            "epoch_examples=5: must be null (the whole training set) or at least batch_size",
        ),
        ("epoch_examples=500", "epoch_examples=500: must be at most the 200 training examples"),
    ],
)
def test_an_epoch_length_a_run_cannot_use_is_one_line(tmp_path, override, message):
    done = run_py(override, "batch_size=10", f"results_dir={tmp_path}", *TINY)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == f"error: {message}"
