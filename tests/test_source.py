"""benchmarks.report.source: what each implementation asks of its user, from its source and a traced epoch."""

from benchmarks import registry
from benchmarks.report import source
from tests.conftest import ROOT


def test_logical_lines_leave_out_comments_and_docstrings():
    code = (
        '"""Doc."""\n\n# comment\ndef f(x):\n    """Doc\n    more."""\n'
        "    y = (x +\n         1)\n    return y\n"
    )
    assert source.logical_lines(code) == 3


def test_executed_statements_count_what_ran_once_each_with_the_functions_holding_it():
    code = (
        "import os\n\n\n"
        "@staticmethod\n"
        "def used(x):\n"
        "    y = (x +\n"
        "         1)\n"
        "    return y\n\n\n"
        "def unused():\n"
        "    return 0\n"
    )
    assert source.executed_statements(code, {6, 7, 8}) == 4  # two statements, the def and its decorator
    assert source.executed_statements(code, set()) == 0


def test_ease_of_use_counts_what_runs_to_train_including_scripted_and_shared_code():
    import ast

    traces = {key.split()[0]: trace for key, trace in source.traced_training().items()}
    code = (ROOT / "impls" / "torch_backprop.py").read_text()
    functions = {
        f"{cls.name}.{n.name}": n
        for cls in ast.parse(code).body
        if isinstance(cls, ast.ClassDef)
        for n in cls.body
        if isinstance(n, ast.FunctionDef)
    }
    torch_lines = set(traces["torch"]["impls/torch_backprop.py"])
    # The scripted module's epoch loop (its forward) and the backprop it calls run as Python under the trace
    assert functions["Backprop.backprop"].body[-1].lineno in torch_lines
    assert functions["Backprop.forward"].body[-1].lineno in torch_lines
    for adapter in ("evaluate", "parameters", "synchronize", "cost"):
        assert functions[f"TorchBackprop.{adapter}"].body[-1].lineno not in torch_lines
    assert "impls/cuda_graphs.py" in traces["torch_autograd"]
    table = source.ease_of_use_table().set_index("backend")
    assert (table["statements run to train"] < table["logical lines in those files"]).all()
    assert table.loc["torch", "files"] == "cuda_graphs.py, torch_backprop.py"


def test_flexibility_is_derived_from_the_implementations():
    table = source.flexibility_table().set_index("backend")
    for name, cls in registry.implementations().items():
        assert (table.loc[name, "GPU"] == "yes") == ("cuda" in cls.devices)
        assert "float32" in table.loc[name, "dtypes"] and "float64" in table.loc[name, "dtypes"]
    assert set(table.autograd) == {"yes", "no"}


def test_a_learners_notebook_and_python_2_file_are_counted_as_the_code_they_run():
    extra = [
        ("yours", {"path": "tests/learners/notebook.ipynb"}),
        ("yours", {"path": "tests/learners/python2_tabs.py"}),
    ]
    table = source.ease_of_use_table(extra=extra).set_index("backend")
    for label in ("yours (path=learners/notebook.ipynb)", "yours (path=learners/python2_tabs.py)"):
        row = table.loc[label]
        # Nielsen's network.py: some 40 statements run to train, some 70 logical lines.
        assert 20 < row["statements run to train"] <= row["logical lines in those files"] < 200, row


def test_a_kept_gradient_check_is_that_of_the_backend_its_options_and_the_change():
    numpy_loop = registry.implementations()["numpy_loop"]
    change = {"hidden": [30, 30], "init": "scaled"}
    (kept,) = source.checked_gradients([["numpy_loop", {}, change]])
    assert kept == source.gradient_error(numpy_loop, {}, change) < 1e-6
