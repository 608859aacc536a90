"""The checker from a notebook: `from backprop_bench import check`, then, in a cell after the one that
defines the class, `check(Network)`; or `check("network.ipynb")` for a file.

The checker runs as `make check` runs it, in a process of its own, on a file: the file given, or for a
class the file its source is in; for a class defined in the notebook's cells, a notebook made of the
cells this kernel ran, in the order it ran them (cell N is In [N]), so the lines name the cells as
Jupyter numbers them. Its lines are printed as they come, and the same time limit holds, so nothing of
the learner's runs in the kernel, a call that never returns ends in one line, and no traceback is shown.
What comes back says which checks passed, and shows as a table in Jupyter.
"""

import ast
import html
import inspect
import os
import platform
import re
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

VERDICT_LINE = re.compile(r"^(?:(PASS|FAIL|SKIP) |\s+)(\d+)\. (.*)$")  # check.py's numbered lines
NOTEBOOK_NAME = "notebook.ipynb"


@dataclass
class Checked:
    """What the checker said: `checks` is (number, 'PASS', 'FAIL', 'SKIP' or None, its line) for each
    numbered line; `returncode` is the checker's exit status (0 all passed, 1 one failed, 2 the file
    could not be used), None where it was interrupted; `error` is its one line on stderr, if any."""

    subject: str
    returncode: int | None
    lines: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def checks(self) -> list[tuple[int, str | None, str]]:
        found = (VERDICT_LINE.match(line) for line in self.lines)
        return [(int(m[2]), m[1], m[3]) for m in found if m]

    @property
    def passed(self) -> bool:
        return self.returncode == 0

    def __repr__(self) -> str:
        verdicts = ", ".join(f"{number} {verdict}" for number, verdict, _ in self.checks if verdict)
        return f"<Checked {self.subject}: exit {self.returncode}{'; ' + verdicts if verdicts else ''}>"

    def _repr_html_(self) -> str:
        colours = {"PASS": "#1a7f37", "FAIL": "#cf222e", "SKIP": "#9a6700"}
        rows = [
            f"<tr><td>{number}</td><td style='color:{colours.get(verdict, 'inherit')}'><b>"
            f"{verdict or ''}</b></td><td style='text-align:left'>{html.escape(line)}</td></tr>"
            for number, verdict, line in self.checks
        ]
        if self.error:
            rows.append(
                f"<tr><td></td><td></td><td style='text-align:left'>{html.escape(self.error)}</td></tr>"
            )
        return (
            f"<table><caption>{html.escape(self.subject)}: exit status {self.returncode}</caption>"
            "<tr><th>check</th><th>verdict</th><th style='text-align:left'>what it found</th></tr>"
            + "".join(rows)
            + "</table>"
        )


def check(
    network,
    *,
    quick: bool = False,
    timeout: float | None = None,
    class_name: str | None = None,
    init: dict[str, str] | None = None,
    method: dict[str, str] | None = None,
    arg: dict[str, str] | None = None,
    param: dict[str, str] | None = None,
) -> Checked:
    """Check a network class, or the file at a path, as `make check` does; `quick` runs checks 1 to 3,
    `timeout` is the longest any one call into the learner's code may take (the checker's --timeout),
    the dicts are the checker's repeatable options (init={"cost": "CrossEntropyCost"} is --init
    cost=CrossEntropyCost)."""
    options = ["--quick"] if quick else []
    if timeout is not None:
        options += ["--timeout", str(timeout)]
    for flag, pairs in (("--init", init), ("--method", method), ("--arg", arg), ("--param", param)):
        for name, value in (pairs or {}).items():
            options += [flag, f"{name}={value}"]
    if isinstance(network, str | os.PathLike):
        if class_name:
            options += ["--class", class_name]
        return run(str(network), Path(network).name, options)
    if not inspect.isclass(network):
        return refused(
            repr(network)[:60],
            f"check() takes your network class, as in check(Network), or the path of your file; "
            f"this is {'an instance of ' if hasattr(network, '__dict__') else 'a '}{type(network).__name__}",
        )
    options += ["--class", network.__name__]
    shell = running_ipython()
    if network.__module__ == "__main__" and shell is not None:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / notebook_name(shell)
            write_cells(shell, path)
            return run(str(path), f"class {network.__name__}", options)
    try:
        source = inspect.getsourcefile(network)
    except TypeError:
        source = None
    if not source or not Path(source).is_file():
        return refused(
            f"class {network.__name__}",
            f"class {network.__name__} has no source file to read; give the path of the file that defines it",
        )
    return run(source, f"class {network.__name__}", options)


def running_ipython():
    """The IPython shell this runs in, or None."""
    ipython = sys.modules.get("IPython")
    return ipython.get_ipython() if ipython else None


def notebook_name(shell) -> str:
    """The notebook's own file name where the front end tells it (JupyterLab's __session__, VS Code's
    __vsc_ipynb_file__), for the checker's lines; else notebook.ipynb."""
    for key in ("__session__", "__vsc_ipynb_file__"):
        value = str(shell.user_ns.get(key) or "")
        if value.endswith(".ipynb"):
            return Path(value).name
    return NOTEBOOK_NAME


def write_cells(shell, path: Path) -> None:
    """A notebook of the cells this kernel ran, as typed (magics and all), cell N being In [N]; a cell
    that did not compile ran nothing, and is left empty."""
    import nbformat

    history = shell.history_manager
    typed, ran = history.input_hist_raw[1:], history.input_hist_parsed[1:]
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.metadata["language_info"] = {"name": "python", "version": platform.python_version()}
    notebook.cells = [
        nbformat.v4.new_code_cell(source if compiles(code) else "") for source, code in zip(typed, ran)
    ]
    nbformat.write(notebook, path)


def compiles(code: str) -> bool:
    try:
        compile(code, "<cell>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True


def refused(subject: str, why: str) -> Checked:
    print(f"error: {why}", file=sys.stderr)
    return Checked(subject, 2, error=f"error: {why}")


def run(path: str, subject: str, options: list[str]) -> Checked:
    """The checker on `path` in a process of its own, its lines printed as they come."""
    command = [sys.executable, "-m", __package__, "check", path, *options]
    checker = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    result = Checked(subject, None)
    errors: list[str] = []

    def read_errors():
        for line in checker.stderr:
            errors.append(line.rstrip("\n"))
            print(line, end="", file=sys.stderr, flush=True)

    reader = threading.Thread(target=read_errors, daemon=True)
    reader.start()
    try:
        for line in checker.stdout:
            result.lines.append(line.rstrip("\n"))
            print(line, end="", flush=True)
        result.returncode = checker.wait()
    except KeyboardInterrupt:
        checker.kill()
        checker.wait()
        print("interrupted: the checker was stopped", file=sys.stderr)
    reader.join()
    result.error = "\n".join(errors)
    return result
