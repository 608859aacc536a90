"""The report's source measurements kept by the hash of what they measured, so that the implementations
are measured once per code, not once per report.

A measurement (a traced epoch, a gradient check, the dtypes a backend trains in) is of one backend,
and depends on:

- its code: the file of its class and the files of its package that file imports, in turn, and the
  files its options name (a learner's network.py, with the Python files beside it, as provenance's
  `backend_files` hashes them);
- the measuring code: source.py and the modules of benchmarks/ it imports, in turn;
- the libraries that the project's files among those import, with the libraries they require, in
  turn, and Python.

Each measurement is kept in a file of its own, named by the sha256 of all of these and of what was
asked, in $BACKPROP_BENCH_SOURCE_CACHE, else `~/.cache/backprop-bench/source/` (`$XDG_CACHE_HOME`
where that is set): any change to them is a new name, measured again. An entry that cannot be read,
or that records other inputs than those its name stands for, is measured again, with a warning. An
entry is written to a temporary file and renamed, so that reports made side by side (parallel tests,
SLURM jobs) never read a half-written one.
"""

import ast
import hashlib
import json
import os
import platform
import re
import sys
import tempfile
from collections.abc import Callable
from functools import cache
from importlib import metadata
from pathlib import Path

from ..data import cache_dir
from ..env import git, named_files_sha256
from ..registry import ROOT, backend_configs

FOLDER_VARIABLE = "BACKPROP_BENCH_SOURCE_CACHE"
FORMAT = 1  # of an entry; a new format is a new name for every entry
PROJECT_PACKAGES = {"benchmarks", "impls"}
MEASURING = "benchmarks.report.source"


def folder() -> Path:
    return Path(os.environ.get(FOLDER_VARIABLE) or cache_dir() / "source")


def module_files(name: str) -> list[Path]:
    """The project's files that `import name` runs: each package's __init__.py along the way and the
    module's own file; [] for a name that is not the project's module (a class, a function)."""
    parts = name.split(".")
    files = []
    for k in range(1, len(parts) + 1):
        base = ROOT.joinpath(*parts[:k])
        files += [f for f in (base / "__init__.py", base.with_suffix(".py")) if f.is_file()][:1]
    return files


def absolute_module(path: Path, node: ast.ImportFrom) -> str | None:
    """The module a `from ... import` in `path` names, a relative one (`from ..registry`) made absolute."""
    if not node.level:
        return node.module
    if not path.is_relative_to(ROOT):
        return None
    package = path.relative_to(ROOT).parent.parts
    return ".".join([*package[: len(package) - node.level + 1], *filter(None, [node.module])])


@cache
def imports_in(path: Path, stamp: tuple[int, int]) -> tuple[tuple[Path, ...], frozenset[str]]:
    """`imports_of`, read once per `stamp` (the file's mtime and size)."""
    names = []
    for node in ast.walk(ast.parse(path.read_bytes())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and (module := absolute_module(path, node)):
            names += [module, *(f"{module}.{alias.name}" for alias in node.names)]
    ours = [n for n in names if n.split(".")[0] in PROJECT_PACKAGES]
    others = {n.split(".")[0] for n in names} - PROJECT_PACKAGES - set(sys.stdlib_module_names)
    return tuple(f for n in ours for f in module_files(n)), frozenset(others)


def imports_of(path: Path) -> tuple[tuple[Path, ...], frozenset[str]]:
    """(the project's files the file imports, the top-level names of the other modules it imports)."""
    stat = path.stat()
    return imports_in(path, (stat.st_mtime_ns, stat.st_size))


def imported_files(module: str) -> tuple[list[Path], set[str]]:
    """The project's files that importing `module` runs, sorted (this module aside: it keeps
    measurements, it does not make them), and the other modules they import."""
    found, libraries, todo = set(), set(), module_files(module)
    while todo:
        path = todo.pop()
        if path in found or path == Path(__file__):
            continue
        found.add(path)
        files, others = imports_of(path)
        todo += files
        libraries |= others
    return sorted(found), libraries


@cache
def providers() -> dict[str, list[str]]:
    return metadata.packages_distributions()


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@cache
def library_versions(modules: frozenset[str], required: bool = False) -> tuple[tuple[str, str], ...]:
    """(distribution, version) of the installed distributions that provide these modules, and, if
    `required`, of those they require, in turn (their extras aside)."""
    todo = [dist for module in sorted(modules) for dist in providers().get(module, [])]
    versions = {}
    while todo:
        name = canonical(todo.pop())
        if name in versions:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:  # required on another platform or Python, not installed
            continue
        versions[name] = dist.version
        if required:
            todo += [
                re.split(r"[\s<>=!~;\[(]", r, maxsplit=1)[0]
                for r in dist.requires or []
                if "extra ==" not in r
            ]
    return tuple(sorted(versions.items()))


def digest(files: list[Path]) -> str:
    sha = hashlib.sha256()
    for path in files:
        sha.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return sha.hexdigest()


def backend_code(name: str) -> tuple[list[Path], set[str]]:
    """The files of backend `name`'s code (its class's module and what that imports of the project, in
    turn) and the other modules they import."""
    target = backend_configs()[name].net._target_
    return imported_files(target.rpartition(".")[0])


def inputs(kind: str, request: list) -> dict:
    """Everything measurement `kind` of `request` ([backend, options, ...]) depends on (module docstring)."""
    name, options = request[:2]
    files, libraries = backend_code(name)
    measuring, measuring_libraries = imported_files(MEASURING)
    return {
        "format": FORMAT,
        "kind": kind,
        "request": request,
        "code": digest(files),
        "named files": named_files_sha256(options),
        "measuring code": digest(measuring),
        "python": f"{platform.python_version()} {platform.machine()}",
        "libraries": library_versions(frozenset(libraries | measuring_libraries), required=True),
    }


def entry(kind: str, request: list) -> tuple[Path, dict]:
    """Where measurement `kind` of `request` is kept, and the inputs it records (as JSON reads them back)."""
    recorded = json.loads(json.dumps(inputs(kind, request), sort_keys=True))
    key = hashlib.sha256(json.dumps(recorded, sort_keys=True).encode()).hexdigest()
    return folder() / f"{kind.replace(' ', '-')}-{request[0]}-{key[:32]}.json", recorded


MISSING = object()
# How a warning names an entry, and what is done where one cannot be trusted or kept.
MEASUREMENT = ("source measurement", "measured again")


def read(path: Path, recorded: dict, named: tuple[str, str] = MEASUREMENT):
    """The value kept at `path` for these inputs; MISSING when there is none or it is not to be trusted
    (with a warning worded by `named`)."""
    try:
        saved = json.loads(path.read_text())
        if saved["inputs"] == recorded:
            return saved["value"]
        why = "records other inputs than its name stands for"
    except (FileNotFoundError, NotADirectoryError):  # none kept; `write` says why, if it cannot keep one
        return MISSING
    except (OSError, ValueError, KeyError, TypeError) as e:  # truncated, garbled, or not an entry at all
        why = f"cannot be read ({type(e).__name__})"
    print(f"warning: {named[0]} {path} {why}: {named[1]}", file=sys.stderr)
    return MISSING


def write(path: Path, recorded: dict, value, named: tuple[str, str] = MEASUREMENT) -> None:
    """Kept whole or not at all: written beside its place and renamed into it."""
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=path.name, delete=False) as f:
            temporary = Path(f.name)
            json.dump({"inputs": recorded, "value": value}, f, sort_keys=True)
        os.replace(temporary, path)
    except OSError as e:
        if temporary:
            temporary.unlink(missing_ok=True)
        print(
            f"warning: {named[0]} not kept in {path.parent} ({e}): {named[1]} next time",
            file=sys.stderr,
        )


def measurements(kind: str, requests: list[list], measure: Callable[[list[list]], list]) -> list:
    """Each request's measurement of `kind`, in order: kept ones read back, the others measured by
    `measure` (requests -> JSON-able values, in the same order) and kept."""
    entries = [entry(kind, request) for request in requests]
    values = [read(path, recorded) for path, recorded in entries]
    missing = [i for i, value in enumerate(values) if value is MISSING]
    if missing:
        measured = measure([requests[i] for i in missing])
        for i, value in zip(missing, json.loads(json.dumps(measured)), strict=True):
            write(*entries[i], value)
            values[i] = value
    return values


def described(requests: list[list]) -> str:
    """Which code these requests' measurements describe, in words: the commit, whether the files measured
    differ from it, the sha256 of those files (with the files the options name) and the versions of the
    libraries the implementations import."""
    files = {f for name, _ in requests for f in backend_code(name)[0]} | set(imported_files(MEASURING)[0])
    named = sorted({named_files_sha256(options) or "" for _, options in requests})
    sha = hashlib.sha256((digest(sorted(files)) + " ".join(named)).encode()).hexdigest()
    implementations = ROOT / "impls"
    modules = set().union(*(imports_of(f)[1] for f in files if f.is_relative_to(implementations)))
    libraries = ", ".join(f"{name} {version}" for name, version in library_versions(frozenset(modules)))
    commit = git("rev-parse", "--short=7", "HEAD")
    changed = commit and git("status", "--porcelain", "--", *map(str, sorted(files)))
    code = f"sha256 `{sha[:12]}` of the files measured"
    if commit:
        code = f"commit `{commit}`{' with uncommitted changes' if changed else ''} ({code})"
    return f"{code}, with Python {platform.python_version()}, {libraries}"
