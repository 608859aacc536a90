"""`check(Network)` and `check("file.ipynb")` in notebooks run by a real Jupyter kernel (nbclient, ipykernel):
the checker's lines in the cell's output, the same as the command's, and a result shown as a table."""

import ast
import json
import shutil
import subprocess
import sys

import nbformat
import pytest
from nbclient import NotebookClient

from benchmarks import check
from tests.conftest import ROOT

pytestmark = pytest.mark.mnist

KERNEL = "backprop-bench-tests"
EXAMPLE = (ROOT / "examples" / "network.py").read_text()
# The example's definitions as one cell: its imports but the book's mnist_loader, its functions, its class.
DEFINITIONS = "\n\n".join(
    ast.get_source_segment(EXAMPLE, node)
    for node in ast.parse(EXAMPLE).body
    if isinstance(node, ast.FunctionDef | ast.ClassDef)
    or (isinstance(node, ast.Import) and node.names[0].name != "mnist_loader")
)
SIGN_FLIPPED = DEFINITIONS.replace("return output_activations - y", "return y - output_activations")
NEVER_RETURNS = DEFINITIONS.replace(
    "activation = x\n", "activation = x\n        while True:\n            pass\n"
)


@pytest.fixture(scope="module")
def jupyter_path(tmp_path_factory):
    """A kernel spec of this interpreter, so that the notebooks run where backprop_bench is installed."""
    folder = tmp_path_factory.mktemp("jupyter")
    spec = folder / "kernels" / KERNEL
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": KERNEL, "language": "python"})
    )
    return folder


def executed(cells: list[str], folder, jupyter_path, monkeypatch, raising=()) -> list[dict]:
    """Each cell's outputs after running the notebook in a kernel started in `folder`; the cells
    numbered in `raising` (from 0) are expected to raise."""
    monkeypatch.setenv("JUPYTER_PATH", str(jupyter_path))
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cell) for cell in cells])
    for number in raising:
        notebook.cells[number].metadata["tags"] = ["raises-exception"]
    NotebookClient(
        notebook, timeout=600, kernel_name=KERNEL, resources={"metadata": {"path": str(folder)}}
    ).execute()
    return [cell.outputs for cell in notebook.cells]


def stream(outputs: list[dict], name: str) -> list[str]:
    return "".join(
        o["text"] for o in outputs if o["output_type"] == "stream" and o["name"] == name
    ).splitlines()


def command_lines(path, *options) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.learner.check", str(path), *options],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return done.stdout.splitlines()


def test_check_of_the_class_a_cell_defined_prints_the_commands_lines_and_returns_a_table(
    tmp_path, jupyter_path, monkeypatch
):
    cells = [DEFINITIONS, "from backprop_bench import check\nchecked = check(Network)", "checked"]
    outputs = executed(cells, tmp_path, jupyter_path, monkeypatch)
    lines = stream(outputs[1], "stdout")
    assert [line[:7] for line in lines if line.startswith(("PASS", "FAIL"))] == [
        "PASS 1.",
        "PASS 2.",
        "PASS 3.",
        "PASS 4.",
    ]
    for backend in (
        "| yours (notebook.ipynb) |",
        "| numpy_loop (numpy ",
        "| numpy (numpy ",
        "| torch (torch ",
    ):
        assert any(line.startswith(backend) for line in lines), lines
    assert lines[-1] == "4 of 4 checks passed"
    assert stream(outputs[1], "stderr") == []
    (shown,) = [o for o in outputs[2] if o["output_type"] == "execute_result"]
    table = shown["data"]["text/html"]
    assert table.count("<b>PASS</b>") == 4 and "FAIL" not in table and "exit status 0" in table

    # The cells run until then saved as notebook.ipynb and checked by the command: the same lines.
    saved = tmp_path / "notebook.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells[:2]]), saved)
    expected = command_lines(saved, "--class", "Network", "--quick")
    assert lines[: len(expected) - 1] == expected[:-1]


def test_a_planted_mistake_is_diagnosed_in_the_cell_and_a_cell_that_did_not_compile_is_passed_over(
    tmp_path, jupyter_path, monkeypatch
):
    cells = [
        "def half_typed(:",
        SIGN_FLIPPED,
        "from backprop_bench import check\nchecked = check(Network, quick=True)",
        "[(number, verdict) for number, verdict, _ in checked.checks]",
    ]
    outputs = executed(cells, tmp_path, jupyter_path, monkeypatch, raising=[0])
    lines = stream(outputs[2], "stdout")
    (failed,) = [line for line in lines if line.startswith("FAIL 1.")]
    assert "every array has its sign flipped" in failed and "(y - a), not (a - y)" in failed
    (shown,) = [o for o in outputs[3] if o["output_type"] == "execute_result"]
    assert shown["data"]["text/plain"] == "[(1, 'FAIL'), (2, 'PASS'), (3, 'FAIL')]"


def test_a_backprop_that_never_returns_stops_at_the_timeout_with_one_line(
    tmp_path, jupyter_path, monkeypatch
):
    cells = [
        NEVER_RETURNS,
        "from backprop_bench import check\nchecked = check(Network, quick=True, timeout=2)",
        "checked.returncode, checked.checks",
    ]
    outputs = executed(cells, tmp_path, jupyter_path, monkeypatch)
    (error,) = stream(outputs[1], "stderr")
    assert error.startswith("error: notebook.ipynb cell 1, line ") and "has not returned after 2 s" in error
    assert not any("Traceback" in line for line in stream(outputs[1], "stdout"))
    (shown,) = [o for o in outputs[2] if o["output_type"] == "execute_result"]
    assert shown["data"]["text/plain"] == "(2, [])"


def test_check_of_a_saved_notebook_checks_that_file(tmp_path, jupyter_path, monkeypatch):
    shutil.copy(ROOT / "tests" / "learners" / "notebook.ipynb", tmp_path / "theirs.ipynb")
    cells = [
        "from backprop_bench import check\nchecked = check('theirs.ipynb', quick=True)",
        "checked.passed",
    ]
    outputs = executed(cells, tmp_path, jupyter_path, monkeypatch)
    expected = command_lines(tmp_path / "theirs.ipynb", "--quick")
    assert stream(outputs[0], "stdout") == expected and expected[-1] == "3 of 3 checks passed"
    (shown,) = [o for o in outputs[1] if o["output_type"] == "execute_result"]
    assert shown["data"]["text/plain"] == "True"


def test_check_of_something_neither_a_class_nor_a_path_refuses_it_in_one_line(capsys):
    class Network:
        pass

    checked = check(Network())
    assert checked.returncode == 2 and checked.checks == [] and not checked.passed
    assert capsys.readouterr().err == (
        "error: check() takes your network class, as in check(Network), or the path of your file; "
        "this is an instance of Network\n"
    )
