"""Learners' network.py files in the styles real learners write them (tests/learners/), each through the
checker's command as a user runs it: a verdict, or one line saying what to do, never a traceback or an
endless wait. Each runs in this process (check_here), MNIST loaded once; a few run as the command
itself too, which must print exactly what the run in this process printed.

Each file says what it expects in its header comment, one run after another:
`# with: OPTIONS` (the checker's options for the next run), `# expect: pass | fail N | exit 2`,
and `# shows: TEXT`, a text that run must print. A notebook says it in its first code cell, and
these lines are read from its raw JSON strings, so that a notebook that is not valid JSON says it too.
"""

import io
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import traceback
from concurrent.futures import ThreadPoolExecutor
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmarks import env
from benchmarks.findings import Finding
from benchmarks.learner import check
from benchmarks.learner.bounded import Bounded, LearnerCodeError
from benchmarks.learner.loading import pylab_imports, python2_fixes
from benchmarks.learner.roles import CLI, HYDRA, ranked
from tests.conftest import ROOT, TINY, run_py

LEARNERS = ROOT / "tests" / "learners"
TIMEOUT = 30  # the checker's --timeout for each call into a learner's code, unless the file sets one
BOUND = 120  # the longest one run of the checker may take here, loading MNIST included
PARALLEL = 3  # runs at once: each spends much of its time importing and loading MNIST
EXIT = {"pass": 0, "fail": 1, "exit": 2}


@dataclass(frozen=True)
class Run:
    options: tuple[str, ...]
    expect: str
    shows: list[str] = field(default_factory=list, hash=False, compare=False)


NOTEBOOK_HEADER = re.compile(r'"(# (?:with|expect|shows): (?:[^"\\]|\\.)*)"')


def header(path: Path) -> list[str]:
    text = path.read_bytes().decode("utf-8", errors="replace").replace("\r\n", "\n")
    if path.suffix == ".ipynb":
        return [json.loads(f'"{line}"').removeprefix("#").strip() for line in NOTEBOOK_HEADER.findall(text)]
    lines = []
    for line in text.split("\n"):
        if not line.startswith("#"):
            break
        lines.append(line.removeprefix("#").strip())
    return lines


def expected_runs(path: Path) -> list[Run]:
    runs, options = [], ()
    for line in header(path):
        key, _, value = line.partition(": ")
        if key == "with":
            options = tuple(shlex.split(value))
        elif key == "expect":
            runs.append(Run(options, value))
            options = ()
        elif key == "shows":
            runs[-1].shows.append(value)
    return runs


FILES = sorted(p for pattern in ("*.py", "*.ipynb") for p in LEARNERS.rglob(pattern) if expected_runs(p))
CASES = [
    pytest.param(path, run, id=f"{path.relative_to(LEARNERS)}:{' '.join(run.options) or 'as is'}")
    for path in FILES
    for run in expected_runs(path)
]


def test_the_folder_holds_every_style_the_issue_lists():
    names = {str(p.relative_to(LEARNERS)) for p in FILES}
    assert len(names) >= 20
    for style in (
        "star_sizes",
        "network2",
        "python2_tabs",
        "crlf_two_spaces",
        "endless_loop",
        "returns_none",
    ):
        assert f"{style}.py" in names
    for style in (  # issue 30's
        "notebook.ipynb",
        "colab_helpers_later.ipynb",
        "merge_conflict.ipynb",
        "python2_kernel.ipynb",
        "widgets_interact.ipynb",
        "torch_by_hand.py",
        "cupy_gpu.py",
        "eta_in_constructor.py",
        "activations_backprop.py",
        "velocity_tuples.py",
        "params_dict.py",
        "mini_keras.py",
        "bias_left_out.py",
        "cross_entropy_delta.py",
        "update_in_loop.py",
        "l2_in_loop.py",
    ):
        assert style in names


@dataclass(frozen=True)
class Done:
    """What one run of the checker said: its exit status, its two streams, and the code of each finding
    it made, in order."""

    returncode: int
    stdout: str
    stderr: str
    codes: tuple[str, ...] = ()


def options_of(run: Run) -> tuple[str, ...]:
    return run.options if "--timeout" in run.options else (*run.options, "--timeout", str(TIMEOUT))


def check_here(path: Path, options, data, made=Finding.__init__) -> Done:
    """The checker's command on the file, run in this process as its author runs it: from the file's
    folder, its output and exit status as the command gives them, with `data` for the MNIST it loads
    (loaded once per test session). `made` makes each finding (a test may reword them). Whatever the
    file's loading adds to sys.path and sys.modules is taken away after, so that runs do not meet.
    A file whose code catches the alarm that stops it ends the checker's process (bounded.py): test
    such a file with check_command."""
    codes, path_before, modules_before = [], list(sys.path), set(sys.modules)

    def recorded(self, code, *args, **kwargs):
        made(self, code, *args, **kwargs)
        codes.append(code)

    out, err, folder = io.StringIO(), io.StringIO(), path.parent
    with pytest.MonkeyPatch.context() as patch, redirect_stdout(out), redirect_stderr(err):
        patch.chdir(folder)
        patch.setattr(check, "load_mnist", lambda: data)
        patch.setattr(Finding, "__init__", recorded)
        try:
            returncode = check.main([str(path), "--quick", *options])
        except SystemExit as e:  # argparse's: a usage line and status 2
            returncode = e.code if isinstance(e.code, int) else 1
        except Exception:  # noqa: BLE001 - as the command would show it: a traceback, status 1
            traceback.print_exc(file=err)
            returncode = 1
        finally:
            sys.path[:] = path_before
            for name in set(sys.modules) - modules_before:
                if is_learners(sys.modules.get(name.split(".")[0], sys.modules[name])):  # by its package
                    del sys.modules[name]
    return Done(returncode, out.getvalue(), err.getvalue(), tuple(codes))


NOT_LEARNERS = (Path(sys.prefix), Path(sys.base_prefix), ROOT / "benchmarks", ROOT / "impls")


def is_learners(module) -> bool:
    """Whether a module is the learner's code (a helper beside the file, or its package), not a library's
    or the project's, which stay imported as a command's would be for the rest of its run."""
    files = [module.__file__] if getattr(module, "__file__", None) else list(getattr(module, "__path__", []))
    return bool(files) and not any(
        Path(f).resolve().is_relative_to(p.resolve()) for f in files for p in NOT_LEARNERS
    )


@pytest.fixture(scope="module")
def checked_as_is(mnist):
    """Each case's run in this process, made once and shared by the tests that read it."""
    runs = {}

    def checked(path: Path, run: Run) -> Done:
        if (path, run) not in runs:
            runs[path, run] = check_here(path, options_of(run), mnist)
        return runs[path, run]

    return checked


def check_command(path: Path, run: Run) -> subprocess.CompletedProcess | None:
    """The checker run as a command on the file from its own folder, as its author runs it; None past
    BOUND."""
    try:
        return subprocess.run(
            [sys.executable, "-m", "benchmarks.learner.check", str(path), "--quick", *options_of(run)],
            cwd=path.parent,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=BOUND,
        )
    except subprocess.TimeoutExpired:
        return None


def assert_as_expected(done, run: Run):
    output = done.stdout + done.stderr
    assert "Traceback" not in output, output
    assert done.returncode == EXIT[run.expect.split()[0]], output
    verdicts = [line[:4] for line in done.stdout.splitlines() if line[:4] in ("PASS", "FAIL", "SKIP")]
    if run.expect == "pass":
        assert verdicts and set(verdicts) <= {"PASS", "SKIP"}, output
    elif run.expect.startswith("fail"):
        assert f"FAIL {run.expect.split()[1]}." in done.stdout, output
    else:
        assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: "), output
    for text in run.shows:
        assert text in output, output


@pytest.mark.mnist
@pytest.mark.parametrize(("path", "run"), CASES)
def test_every_learner_file_gets_a_verdict_or_one_line_saying_what_to_do(path, run, checked_as_is):
    assert_as_expected(checked_as_is(path, run), run)


# The command itself, a process of its own, as a user starts it: a pass, a failure, a refusal and a
# call stopped by its time limit, each told as the header says and never with a traceback.
COMMAND_CASES = [
    case
    for case in CASES
    if case.id
    in (
        "activation_mode.py:as is",
        "doubled_cost.py:as is",
        "endless_loop.py:--timeout 2",
        "python2_kernel.ipynb:as is",
    )
]


@pytest.mark.mnist
def test_the_command_says_what_the_run_in_this_process_says(checked_as_is):
    assert [case.values[1].expect.split()[0] for case in COMMAND_CASES] == ["exit", "fail", "exit", "pass"]
    with ThreadPoolExecutor(PARALLEL) as pool:
        commands = list(pool.map(lambda case: check_command(*case.values), COMMAND_CASES))
    for case, done in zip(COMMAND_CASES, commands):
        path, run = case.values
        assert done is not None, f"the checker ran past {BOUND} s"
        assert_as_expected(done, run)
        here = checked_as_is(path, run)
        assert (done.returncode, done.stdout, done.stderr) == (here.returncode, here.stdout, here.stderr), (
            case.id
        )


def test_python2_statements_are_written_as_2to3_writes_them():
    source = 'print "epoch", j,\nprint >>sys.stderr, "done"\n'
    source += 'try:\n    f()\nexcept ValueError, e:\n    raise E, "bad"\n'
    fixed, lines = python2_fixes(source)
    assert fixed == (
        'print("epoch", j, end=" ")\nprint("done", file=sys.stderr)\ntry:\n    f()\n'
        'except ValueError as e:\n    raise E("bad")\n'
    )
    assert lines == {"print(...)": [1, 2], "`except X as e`": [5], "`raise E(message)`": [6]}


def endless(n):
    total = 0
    while n > 0:
        total += 1
    return total


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="no SIGALRM on this system")
def test_pylab_becomes_the_imports_ipython_makes_for_it():
    namespace = {}
    exec(pylab_imports("%pylab inline"), namespace)
    assert namespace["dot"] is np.dot and namespace["np"] is np and callable(namespace["plot"])
    bare = {}
    exec(pylab_imports("get_ipython().run_line_magic('pylab', '--no-import-all')"), bare)
    assert bare["np"] is np and "dot" not in bare
    assert pylab_imports("%matplotlib inline") is None and pylab_imports("pylab = 1") is None


def test_a_call_past_its_time_limit_is_stopped_and_named_with_its_line():
    bounded = Bounded(Path(__file__).parent, 0.2, {}, CLI.timeout)
    with pytest.raises(LearnerCodeError) as stopped:
        bounded.call("backprop", endless, 1)
    loop = endless.__code__.co_firstlineno + 2
    stopped_at = {f"test_learners.py line {line}: " for line in (loop, loop + 1)}  # the test or its body
    message = str(stopped.value)
    assert message[: message.index(":") + 2] in stopped_at, message
    assert message.endswith(
        ": backprop has not returned after 0.2 s (it was running this line); "
        "look for a loop that never ends, or allow it more time with --timeout SECONDS"
    )
    assert bounded.call("feedforward", np.add, 1, 2) == 3  # the next call runs as before


def test_methods_are_found_under_the_names_learners_give_them():
    names = ["feed_forward", "update_weights_and_biases", "backpropogation", "SGD", "evaluate"]
    assert next(c for c in ranked("backprop", names) if c) == ["backpropogation"]
    assert next(c for c in ranked("update_mini_batch", names) if c) == ["update_weights_and_biases"]
    assert next(c for c in ranked("feedforward", names) if c) == ["feed_forward"]


def test_options_are_shown_as_each_command_takes_them():
    pairs = [("cost", "CrossEntropyCost()"), ("activator", "sigmoid")]
    assert CLI.option("init", pairs) == "--init 'cost=CrossEntropyCost()' --init activator=sigmoid"
    assert HYDRA.option("init", pairs) == "\"network_init={cost:'CrossEntropyCost()',activator:sigmoid}\""
    assert HYDRA.option("init", [("mode", "'sigmoid'")]) == '"network_init={mode:\\"\'sigmoid\'\\"}"'


def test_run_py_takes_the_same_options_as_settings_beside_network(tmp_path):
    mine = ["backend=yours", f"network={LEARNERS / 'activator.py'}", f"results_dir={tmp_path}", *TINY]
    refused = run_py(*mine)
    assert refused.returncode == 2
    assert (
        refused.stderr.strip()
        .splitlines()[-1]
        .endswith(
            "pass them (a Python expression in your file's namespace): "
            "network_init={activator:sigmoid,derivative:sigmoid_prime}"
        )
    )
    done = run_py(*mine, "network_init={activator:sigmoid,derivative:sigmoid_prime}")
    assert done.returncode == 0, done.stderr
    runs = pd.read_parquet(tmp_path / "runs.parquet")
    assert (runs.status == "ok").all() and runs.backend.eq("yours").all()


def test_a_run_names_the_cost_the_file_computes(tmp_path):
    mine = ["backend=yours", f"network={LEARNERS / 'network2.py'}", *TINY]
    refused = run_py(*mine, f"results_dir={tmp_path / 'quadratic'}")
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert (
        refused.stderr.strip()
        .splitlines()[-1]
        .endswith("set cost=cross_entropy, so that the results name the cost your file computes")
    )
    swept = run_py("-m", *mine, f"results_dir={tmp_path / 'swept'}")
    assert swept.returncode == 0, swept.stderr
    assert pd.read_parquet(tmp_path / "swept" / "runs.parquet").status.tolist() == ["unsupported"]
    done = run_py(*mine, f"results_dir={tmp_path / 'cross_entropy'}", "cost=cross_entropy", "lmbda=5.0")
    assert done.returncode == 0, done.stderr
    runs = pd.read_parquet(tmp_path / "cross_entropy" / "runs.parquet")
    assert (runs.status == "ok").all() and (runs.cost == "cross_entropy").all() and (runs.lmbda == 5.0).all()


def test_a_notebook_runs_under_the_harness_and_its_contents_are_its_provenance(tmp_path):
    notebook = tmp_path / "nielsen_ch1.ipynb"
    notebook.write_bytes((LEARNERS / "colab_helpers_later.ipynb").read_bytes())
    before = env.named_files_sha256({"path": str(notebook)})
    done = run_py("backend=yours", f"network={notebook}", f"results_dir={tmp_path / 'results'}", *TINY)
    assert done.returncode == 0, done.stderr
    runs = pd.read_parquet(tmp_path / "results" / "runs.parquet")
    assert (runs.status == "ok").all() and (runs.backend_files == before).all()
    notebook.write_text(notebook.read_text().replace("3.0", "0.5"))
    assert env.named_files_sha256({"path": str(notebook)}) not in (before, None)
