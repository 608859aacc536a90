"""benchmarks.results: the file format, its one reader, and every old version it still reads.

tests/data/results/ keeps one small runs.parquet per old schema version, each written by the
harness of that version itself (two epochs of numpy at batch 1000), and a peers.parquet from
before peers ran on CUDA.
"""

from pathlib import Path

import pandas as pd
import pytest

from benchmarks import configuration, results
from benchmarks.commands import compare
from benchmarks.errors import UserError
from benchmarks.report import document

OLD = Path(__file__).parent / "data" / "results"
OLD_VERSIONS = range(1, results.SCHEMA_VERSION)


def test_there_is_a_real_file_for_every_old_schema_version():
    for version in OLD_VERSIONS:
        assert (pd.read_parquet(OLD / f"schema-{version}.parquet").schema_version == version).all()


@pytest.mark.parametrize("version", OLD_VERSIONS)
def test_backward_compat_load(version):
    runs = results.load(OLD / f"schema-{version}.parquet")
    assert list(runs.columns) == list(results.COLUMNS)
    assert runs.dtypes.astype(str).to_dict() == {
        c: str(pd.Series(dtype=t).dtype) for c, t in results.COLUMNS.items()
    }
    assert (runs.backend == "numpy").all() and runs.epoch.tolist() == [1, 2]
    # What older versions did not record gets the value the version that added it gives them.
    assert (runs.launcher == "basic").all() and (runs.parallel_jobs == 1).all()
    assert (~runs.cuda_graphs.astype(bool)).all()
    assert (runs.hidden_layers == "30").all() and (runs.cost == "quadratic").all() and (runs.lmbda == 0).all()
    # Rows of every version key and label the same way as new ones.
    keyed = configuration.with_keys(runs)
    assert keyed.config_key.nunique() == 1
    assert configuration.variant(runs.iloc[0].to_dict()).startswith("numpy (cpu")


def test_old_files_are_reported_and_compared_with_new_ones(tmp_path, capsys):
    old = pd.concat([pd.read_parquet(OLD / f"schema-{v}.parquet") for v in OLD_VERSIONS], ignore_index=True)
    path = tmp_path / "runs.parquet"
    old.to_parquet(path)
    kept, left_out = document.load(path)
    # Versions 1 and 2 did not record backend options, so their runs are a configuration of their
    # own. Version 7's file ran OpenBLAS's SkylakeX kernels, the others its Haswell ones (with
    # OPENBLAS_CORETYPE set): two machines, each reported from its newest commit's runs of each
    # configuration, the others left out. Version 8's file was written on a third machine, that
    # records its exact CPU, and version 9's on a fourth (a Zen 2).
    assert set(kept.schema_version) == {2, 6, 7, 8, 9}
    assert left_out.run_id.nunique() == len(OLD_VERSIONS) - 5
    assert compare.main([str(OLD / "schema-1.parquet"), str(OLD / "schema-5.parquet")]) == 0
    assert "| numpy (cpu) |" in capsys.readouterr().out


def test_a_peers_file_from_before_cuda_reads_as_cpu(tmp_path):
    path = tmp_path / "peers.parquet"
    before = pd.read_parquet(OLD / "peers-before-device.parquet")
    assert "device" not in before
    before.to_parquet(path)
    new = before.iloc[:1].assign(device="cuda")
    results.append_peers(new, path)
    stored = pd.read_parquet(path)
    assert stored.device.tolist() == ["cpu"] * len(before) + ["cuda"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist; run `make bench` or `python run.py` first"),
        (b"not parquet", "is not a readable parquet file"),
        (
            pd.DataFrame({"x": [1]}),
            "lacks columns ['backend', 'schema_version', 'train_s']; it was not written",
        ),
        ("empty", "holds no runs; run `make bench` or `python run.py` first"),
    ],
)
def test_load_refuses_what_is_not_results_in_one_line(tmp_path, content, message):
    path = tmp_path / "runs.parquet"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, pd.DataFrame):
        content.to_parquet(path)
    elif content == "empty":
        results.to_frame([]).to_parquet(path)
    with pytest.raises(UserError) as error:
        results.load(path)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_load_names_what_makes_the_file_it_wanted(tmp_path):
    with pytest.raises(results.ResultsError, match="run `make nielsen` first"):
        results.load(tmp_path / "runs.parquet", made_by="`make nielsen`")


def test_a_newer_schema_is_refused_with_what_to_do(tmp_path):
    path = tmp_path / "runs.parquet"
    pd.read_parquet(OLD / "schema-5.parquet").assign(schema_version=results.SCHEMA_VERSION + 1).to_parquet(
        path
    )
    with pytest.raises(results.SchemaError, match=rf"{path}: .*newer than .*; update backprop-bench"):
        results.load(path)


def test_every_column_added_since_version_1_has_a_value_for_older_rows():
    first = set(pd.read_parquet(OLD / "schema-1.parquet").columns)
    added = set().union(*results.ADDED.values())
    assert set(results.COLUMNS) - first <= added


def test_runs_parquet_is_read_again_once_another_process_has_replaced_it(tmp_path):
    """collect keeps runs.parquet as it last read or wrote it, and reads it again once it changed."""
    one = results.load(OLD / "schema-8.parquet").assign(run_id="one")
    results.write_run(one.to_dict("records"), tmp_path)
    assert set(results.collect(tmp_path).run_id) == {"one"}
    # Another process merges a run of its own: a new file in the same place.
    other = results.load(OLD / "schema-9.parquet").assign(run_id="other")
    results.write_atomic(pd.concat([one, other]), results.merged_path(tmp_path))
    assert set(results.collect(tmp_path).run_id) == {"one", "other"}
    # A run file written without merging is found beside it.
    results.write_run(one.assign(run_id="third").to_dict("records"), tmp_path, merged=False)
    assert set(results.collect(tmp_path).run_id) == {"one", "other", "third"}
