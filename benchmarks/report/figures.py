"""The report's figures kept by the hash of what they are drawn from, so that a report of the same runs
by the same code copies them instead of drawing them again.

A set of figures depends on the data it is drawn from (frames, hashed by their columns, dtypes and
values), on the drawing code (the module that draws it and the modules of benchmarks/ it imports, in
turn), on the libraries those import, with the libraries they require, on matplotlib's settings and
on Python. It is kept beside the source measurements (benchmarks.report.kept), in one file named by
the sha256 of all of these, holding every file the drawing wrote with its sha256. An entry that
cannot be read, records other inputs, or holds a file whose bytes are not those recorded is drawn
again, with a warning.
"""

import base64
import binascii
import hashlib
import json
import platform
import sys
from collections.abc import Callable
from pathlib import Path

import matplotlib
import pandas as pd

from . import kept

FORMAT = 1
NAMED = ("figures", "drawn again")  # in warnings (benchmarks.report.kept.read)


def frame_digest(frame: pd.DataFrame) -> str:
    sha = hashlib.sha256(json.dumps([[str(c), str(t)] for c, t in frame.dtypes.items()]).encode())
    sha.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    return sha.hexdigest()


def settings() -> dict:
    """matplotlib's settings but its backend: which backend would show a figure does not change the PNG
    that savefig writes, and reading it can start one."""
    return {key: matplotlib.rcParams[key] for key in matplotlib.rcParams if key != "backend"}


def inputs(job: str, module: str, data: list[pd.DataFrame]) -> dict:
    files, libraries = kept.imported_files(module)
    return {
        "format": FORMAT,
        "figures": job,
        "data": [frame_digest(frame) for frame in data],
        "drawing code": kept.digest(files),
        "matplotlib settings": hashlib.sha256(repr(sorted(settings().items())).encode()).hexdigest(),
        "python": f"{platform.python_version()} {platform.machine()}",
        "libraries": kept.library_versions(frozenset(libraries), required=True),
    }


def entry(job: str, module: str, data: list[pd.DataFrame]) -> tuple[Path, dict]:
    recorded = json.loads(json.dumps(inputs(job, module, data), sort_keys=True))
    key = hashlib.sha256(json.dumps(recorded, sort_keys=True).encode()).hexdigest()
    return kept.folder() / f"figures-{job}-{key[:32]}.json", recorded


def trusted(value) -> tuple[dict[str, str | None], dict[str, bytes]] | None:
    """(figure name -> file, file -> bytes) of a kept entry's value, when every file drawn is there with
    the bytes its sha256 records; else None."""
    try:
        drawn, held = value["drawn"], value["files"]
        files = {file: base64.b64decode(f["png"], validate=True) for file, f in held.items()}
        intact = all(hashlib.sha256(files[file]).hexdigest() == f["sha256"] for file, f in held.items())
        if intact and set(files) == {file for file in drawn.values() if file}:
            return drawn, files
    except (KeyError, TypeError, AttributeError, binascii.Error):  # not an entry of figures at all
        pass
    return None


def kept_figures(
    job: str,
    module: str,
    data: list[pd.DataFrame],
    names,
    out: Path,
    draw: Callable[[Path], dict[str, str | None]],
) -> dict[str, str | None]:
    """`draw(out)`: figure name -> the file it wrote into `out`, or None where it drew none; read back
    from an entry kept for `data` and the code of `module` (which draws them) where there is one to
    trust, else drawn and kept. Every figure of `names` left in `out` from earlier is removed first."""
    for name in names:
        (out / name).unlink(missing_ok=True)
    path, recorded = entry(job, module, data)
    value = kept.read(path, recorded, NAMED)
    if value is not kept.MISSING:
        if (found := trusted(value)) is not None:
            drawn, files = found
            for file, content in files.items():
                (out / file).write_bytes(content)
            return drawn
        print(f"warning: figures {path} hold no intact copy of what was drawn: drawn again", file=sys.stderr)
    drawn = draw(out)
    files = {
        file: {
            "png": base64.b64encode(content).decode("ascii"),
            "sha256": hashlib.sha256(content).hexdigest(),
        }
        for file in drawn.values()
        if file
        for content in [(out / file).read_bytes()]
    }
    kept.write(path, recorded, {"drawn": drawn, "files": files}, NAMED)
    return drawn
