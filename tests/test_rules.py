"""The checker's rules one by one, without MNIST where none is needed; its findings' codes, which its
own code branches on, and never their words; and the shape of the package itself."""

import ast
import importlib.util
from pathlib import Path

import nbformat
import numpy as np
import pytest

from benchmarks import sources
from benchmarks.findings import Finding, LearnerCodeError, LearnerFileError
from benchmarks.learner import adapter, check, conventions, roles
from benchmarks.learner.bounded import Bounded
from benchmarks.learner.loading import load_definitions
from benchmarks.places import Place, SourceMap
from benchmarks.sources import CellsRead, Source, parsed
from tests.conftest import ROOT
from tests.test_learners import CASES, EXIT, check_here

PACKAGE = ROOT / "benchmarks" / "learner"
# the package's modules, and those of the core it reads files and says findings with
CHECKER_FILES = [
    *PACKAGE.glob("*.py"),
    *(ROOT / "benchmarks" / f"{m}.py" for m in ("sources", "findings", "places")),
]
GUIDE = ROOT / "docs" / "your-network.md"


def written(tmp_path: Path, text: str, name="network.py") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def notebook(tmp_path: Path, *cells: str, kernel="python3") -> Path:
    book = nbformat.v4.new_notebook()
    book.metadata["kernelspec"] = {"name": kernel}
    book.cells = [nbformat.v4.new_code_cell(cell) for cell in cells]
    path = tmp_path / "net.ipynb"
    path.write_text(nbformat.writes(book))
    return path


# Source rules: each before and after


def test_a_files_bytes_are_read_as_its_author_saved_them(tmp_path):
    path = tmp_path / "n.py"
    path.write_bytes(b"# caf\xe9\r\nx = 1\rget_ipython().run_line_magic('pylab', 'inline')\n")
    source = sources.decoded(path)
    assert source.text.split("\n")[:2] == ["# caf\xe9", "x = 1"]
    assert source.text.split("\n")[2].startswith("import numpy; import matplotlib")
    assert [note.code for note in source.notes] == ["latin-1", "pylab"]
    path.write_bytes(b"x = 1\n\0")
    with pytest.raises(LearnerFileError) as refused:
        sources.decoded(path)
    assert refused.value.code == "nul-byte" and refused.value.finding.place == Place("n.py", 2)


def test_an_indented_cell_is_read_without_its_indentation():
    read = CellsRead()
    assert sources.without_indent(3, ["  x = 1", "  y = 2"], read) == ["x = 1", "y = 2"]
    assert read.indented == ["cell 3 (2 columns)"]
    assert sources.without_indent(4, ["x = 1"], read) == ["x = 1"]


def test_a_cell_magic_leaves_out_its_line_and_a_cell_of_another_language():
    read = CellsRead()
    assert sources.cell_magic(2, ["%%time", "f()"], read) == ["", "f()"]
    assert sources.cell_magic(5, ["%%bash", "ls"], read) is None
    assert read.left_out == ["cell 2, line 1 `%%time`", "cell 5, line 1 `%%bash`"]


def test_magic_and_shell_lines_are_left_out_and_pylab_becomes_imports():
    read = CellsRead()
    assert sources.magic_line("cell 1, line 1", "!pip install numpy", read) == ""
    assert sources.magic_line("cell 1, line 2", "    %time f()", read) == "    pass"
    assert sources.magic_line("cell 1, line 3", "x = 1", read) == "x = 1"
    assert sources.pylab_line("cell 2, line 1", "%pylab inline", read).startswith("import numpy")
    assert read.pylab == ["cell 2, line 1"] and len(read.left_out) == 2


def test_tabs_mixed_with_spaces_are_read_as_python_2_read_them(tmp_path):
    source = Source(tmp_path / "n.py", "def f():\n        x = 1\n\ty = 2\n", SourceMap("n.py"))
    assert isinstance(parsed(source), ast.Module)
    assert [note.code for note in source.notes] == ["tabs"]


def test_python_2_that_2to3_cannot_mend_is_refused_naming_its_line(tmp_path):
    source = Source(tmp_path / "n.py", "x = 1\nexec 'y' in z\n", SourceMap("n.py"))
    with pytest.raises(LearnerFileError) as refused:
        parsed(source)
    assert refused.value.code == "not-python-3" and refused.value.finding.place == Place("n.py", 2)


def test_python_2s_map_and_filter_give_lists_where_a_list_may_be_needed():
    text = "print map(f, xs)\nX = np.hstack(map(g, b))\nfor v in map(f, xs): pass\n"
    text += "n = len(filter(None, xs))\nt = tuple(map(f, xs))\ne = obj.map(f)\n"
    fixed, lines = sources.python2_fixes(text)
    assert fixed.split("\n")[:6] == [
        "print(list(map(f, xs)))", "X = np.hstack(list(map(g, b)))", "for v in map(f, xs): pass",
        "n = len(list(filter(None, xs)))", "t = tuple(map(f, xs))", "e = obj.map(f)",
    ]  # fmt: skip
    assert lines == {"print(...)": [1], "list(map(...))": [1, 2], "list(filter(...))": [4]}
    assert sources.python2_fixes("X = np.hstack(map(g, b))\n")[1] == {"list(map(...))": [1]}


def test_a_notebooks_lines_are_named_by_cell_and_the_map_is_the_files_own(tmp_path):
    path = notebook(tmp_path, "import numpy as np", "%matplotlib inline\nx = np.zeros(2)")
    loaded = load_definitions(path)
    assert loaded.source_map.place(3) == "net.ipynb cell 2, line 1"
    assert [note.code for note in loaded.notes] == ["notebook", "ipython-lines"]
    assert SourceMap.of(path).place(3) == "net.ipynb line 3"  # another file's map is its own


def test_statements_are_loaded_or_skipped_by_their_kind(tmp_path):
    path = written(
        tmp_path,
        'import no_such_module\nX = 3\nnet = make()\nif __name__ == "__main__":\n    run()\n',
    )
    loaded = load_definitions(path)
    assert [s.code for s in loaded.skipped] == ["import-failed", "script", "main-guard"]
    assert loaded.module.X == 3 and "no_such_module" in loaded.failed_imports


@pytest.mark.skipif(importlib.util.find_spec("cupy") is not None, reason="CuPy is installed here")
@pytest.mark.parametrize(
    "imports",
    ["import cupy as cp", "try:\n    import cupy as cp\nexcept ImportError:\n    import numpy as cp"],
)
def test_cupy_that_is_not_installed_runs_on_numpy_with_its_gpu_calls(tmp_path, imports):
    text = f"{imports}\ndef f(a):\n    cp.cuda.Stream.null.synchronize()\n    return cp.asnumpy(cp.exp(a))\n"
    loaded = load_definitions(written(tmp_path, text))
    assert loaded.module.f(np.zeros(2)).tolist() == [1.0, 1.0]
    assert [note.code for note in loaded.notes] == ["cupy-on-numpy"] and not loaded.skipped
    assert not load_definitions(written(tmp_path, "import numpy as cp\n")).notes


def test_a_notebook_that_imports_its_class_from_its_repository_is_checked_in_that_file(tmp_path):
    package = tmp_path / "repo" / "pkg_nb" / "nn"
    package.mkdir(parents=True)
    written(package, "class Network:\n    def update_mini_batch(self, mini_batch, eta): pass\n")
    (tmp_path / "repo" / "notebooks").mkdir()
    path = notebook(tmp_path / "repo" / "notebooks", "from pkg_nb.nn.network import Network\nNetwork([1])")
    loaded = load_definitions(path)
    assert loaded.path == package / "network.py" and [c.__name__ for c in loaded.classes] == ["Network"]
    assert [note.code for note in loaded.notes] == ["notebook", "class-imported"]
    (package / "network.py").unlink()
    with pytest.raises(LearnerFileError) as refused:
        load_definitions(notebook(tmp_path / "repo" / "notebooks", "from pkg_gone.nn.network import Network"))
    assert refused.value.code == "class-imported"


def test_a_cell_that_needs_a_later_cell_runs_after_the_rest(tmp_path):
    path = notebook(tmp_path, "Net.f = f", "class Net:\n    pass", "def f(self):\n    return 1")
    loaded = load_definitions(path)
    assert loaded.module.Net().f() == 1
    assert "out-of-order" in [note.code for note in loaded.notes]


# Refusals and fillers, on small classes of their own


def candidate(tmp_path, text: str, update: str | None) -> roles.Candidate:
    loaded = load_definitions(written(tmp_path, text))
    cls = loaded.module.Net
    return roles.Candidate(cls, loaded, roles.methods_of(cls), update)


@pytest.mark.parametrize(
    ("text", "update", "code"),
    [
        ("class Net:\n    def fit(self, X, y): pass\n", None, "trains-by-fit"),
        ("class Net:\n    def update(self, X, Y, eta): pass\n", "update", "update-of-arrays"),
        (
            "class Net:\n    def update(self, batch, labels, eta):\n        self.grads(batch, labels)\n"
            "    def grads(self, a, b): pass\n",
            "update",
            "inputs-and-labels-apart",
        ),
    ],
)
def test_each_refusal_finds_its_convention_and_only_its_own(tmp_path, text, update, code):
    found = candidate(tmp_path, text, update)
    assert [r.code for r in roles.REFUSALS if r(found)] == [code]


def test_the_book_class_is_refused_by_none(tmp_path):
    text = "class Net:\n    def update_mini_batch(self, mini_batch, eta): pass\n"
    found = candidate(tmp_path, text, "update_mini_batch")
    assert not any(refusal(found) for refusal in roles.REFUSALS)


def test_extra_parameters_are_filled_by_their_names(tmp_path):
    text = "class Net:\n    def update_mini_batch(self, mini_batch, eta, lmbda, n, nbatch, i): pass\n"
    loaded = load_definitions(written(tmp_path, text))
    plan = roles.plan_call(
        loaded.module.Net, loaded, "update_mini_batch", "update_mini_batch", {"i": 7}, {"lmbda": 0.0, "n": 9},
        roles.CLI,
    )  # fmt: skip
    assert plan.arguments(["a", "b"], 3.0) == [["a", "b"], 3.0, 0.0, 9, 2, 7]
    assert plan.said == ["lmbda=0, no L2", "n=9, the training-set size", "nbatch=len(mini_batch)"]


COSTS = """
class QuadraticCost:
    @staticmethod
    def fn(a, y): return 0.5 * ((a - y) ** 2).sum()
class CrossEntropyCost:
    def fn(self, a, y): return 0.0
"""


@pytest.mark.parametrize(
    "init, call, filled",
    [
        ("(self, sizes, cost)", "", "QuadraticCost"),  # its methods are static: the class itself
        ("(self, sizes, cost)", "net = Net([2, 1], CrossEntropyCost())", "QuadraticCost()"),
        ("(self, sizes, act, act_prime)", "net = Net([2, 1], act=sig, act_prime=sig_prime)", "sig"),
    ],
)
def test_constructor_arguments_are_filled_as_the_file_shows_them(tmp_path, init, call, filled):
    written(tmp_path, "def sig(z): return z\ndef sig_prime(z): return 1\n", "acts.py")
    text = f"from acts import sig, sig_prime\n{COSTS}\nclass Net:\n    def __init__{init}: pass\n{call}\n"
    loaded = load_definitions(written(tmp_path, text))
    plan = roles.plan_constructor(loaded.module.Net, loaded, {}, roles.CLI)
    assert next(iter(plan.keywords.values())) == filled
    assert [note.code for note in plan.notes] == (["quadratic-cost"] if "cost" in init else ["own-call"] * 2)


def test_a_constructor_argument_the_file_does_not_show_is_asked_for(tmp_path):
    text = (
        "def sig(z): return z\nclass Net:\n    def __init__(self, sizes, act): pass\nnet = Net([2], 'sig')\n"
    )
    loaded = load_definitions(written(tmp_path, text))
    with pytest.raises(LearnerFileError) as refused:
        roles.plan_constructor(loaded.module.Net, loaded, {}, roles.CLI)
    assert refused.value.code == "init-needs-values"


def test_a_backprop_that_takes_fewer_arguments_says_so_by_its_code(tmp_path):
    loaded = load_definitions(written(tmp_path, "class Net:\n    def backprop(self, x): pass\n"))
    with pytest.raises(LearnerFileError) as refused:
        roles.plan_call(loaded.module.Net, loaded, "backprop", "backprop", {}, {}, roles.CLI)
    assert refused.value.code == "fewer-arguments"
    assert refused.value.finding.found in refused.value.finding.words


# Example forms and the layout


def finding_of(code: str, error: str = "", message: str = "") -> Finding:
    return Finding(code, "words", facts={"error": error, "message": message})


def test_labels_are_tried_only_where_the_code_indexes_with_y():
    flat, labels = adapter.OTHER_FORMS
    indexed = finding_of("raised", "IndexError", "arrays used as indices must be of integer type")
    assert flat.may_explain(indexed) and labels.may_explain(indexed)
    assert flat.may_explain(finding_of("raised", "ValueError")) and not labels.may_explain(
        finding_of("raised", "ValueError", "shapes not aligned")
    )
    assert not flat.may_explain(finding_of("timed-out"))


def test_the_layout_turns_the_harness_arrays_into_the_learners():
    layout = adapter.Layout(True, (30,), np.zeros((784, 30)))
    assert layout.weights(np.zeros((30, 784))).shape == (784, 30)
    assert layout.bias(np.zeros((30, 1))).shape == (30,)
    x, y = np.zeros((784, 1)), np.eye(10)[:, [3]]
    layout.forms["backprop"] = adapter.OTHER_FORMS[1]
    assert layout.pair("backprop", x, y)[1] == 3 and layout.pair("update_mini_batch", x, y)[1] is y


ROWS = """import numpy as np
class Network:
    def __init__(self, sizes):
        self.weights = [np.zeros((a, b)) for a, b in zip(sizes[:-1], sizes[1:])]
        self.biases = [np.zeros((1, b)) for b in sizes[1:]]
    def feedforward(self, a):
        for w, b in zip(self.weights, self.biases):
            a = a @ w + b
        return a
    def update_mini_batch(self, mini_batch, eta):
        for x, y in mini_batch:
            assert x.shape == (1, 784) and y.shape == (1, 10)
"""


def test_examples_are_given_as_rows_to_a_network_that_keeps_its_weights_n_in_by_n_out(tmp_path):
    layout = adapter.Layout(True, (1, 30), np.zeros((784, 30)))
    layout.forms = dict.fromkeys(layout.forms, adapter.LAYOUT_FORMS[0])
    x, y = layout.pair("update_mini_batch", np.zeros((784, 1)), np.eye(10)[:, [3]])
    assert x.shape == (1, 784) and y.shape == (1, 10) and layout.pair("feedforward", x, None)[1] is None
    net = adapter.YourNetwork.built_for_checks(10, path=written(tmp_path, ROWS))
    assert [note.code for note in net.found.notes] == ["row-examples"]
    assert net.forward([np.zeros((784, 1))])[0].shape == (1, 10)
    net.update(net.train_pairs, 1.0)  # its assert: rows


# Diagnoses


def test_an_array_is_diagnosed_by_a_code_and_the_number_it_shows():
    truth = np.arange(1.0, 7.0)
    assert check.diagnose(truth, truth)[1] is None
    assert check.diagnose(-truth, truth)[1].code == "sign-flipped"
    assert check.diagnose(2 * truth, truth)[1].facts["shown"] == "2"
    assert check.diagnose(0 * truth, truth)[1].code == "zero"
    assert check.diagnose(truth[::-1], truth)[1].code == "wrong"
    assert check.diagnose(truth[:3], truth)[1].code == "wrong-shape"


def gradient_case(wrong_indices: list[int], code="wrong") -> check.GradientCase:
    names = check.array_names(2)
    wrong = [check.Wrong(names[k], Finding(code, "words", facts={"shown": "1"})) for k in wrong_indices]
    return check.GradientCase(None, None, [], wrong, names)


@pytest.mark.parametrize(
    ("indices", "code", "explained"),
    [
        ([0, 1, 2, 3], "sign-flipped", "output-error-sign"),
        ([0, 1], "wrong", "hidden-delta"),
        ([1, 3], "wrong", "bias-gradient"),
        ([0, 2], "wrong", "weight-gradient"),
        ([0, 2, 3], "wrong", "output-delta"),
    ],
)
def test_where_the_wrong_arrays_are_says_where_to_look(indices, code, explained):
    case = gradient_case(indices, code)
    rules = [rule for rule in check.GRADIENT_DIAGNOSES if hasattr(rule, "what")]
    assert next(rule.code for rule in rules if rule(case)) == explained


def test_a_factor_is_put_into_words_by_one_table_for_the_step_and_the_decay():
    assert check.explained_factor([4.0, 4.001], check.UPDATE_FACTORS, 50000).code == "no-division-by-m"
    assert check.explained_factor([4.0, 2.0], check.UPDATE_FACTORS, 50000) is None
    assert check.decay_words(50000 / 4, 50000).code == "l2-over-m"
    assert check.decay_words(7.5, 50000).code == "l2-other-factor"


def test_the_summary_joins_arrays_wrong_alike_by_their_codes_not_their_words():
    names = check.array_names(2)
    alike = [
        check.Wrong(n, Finding("scaled", f"words {k}", facts={"shown": "3"})) for k, n in enumerate(names)
    ]
    assert check.summary(alike, names, "array") == "every array words 0"
    unlike = [*alike[:3], check.Wrong(names[3], Finding("scaled", "words 0", facts={"shown": "4"}))]
    assert check.summary(unlike, names, "array").count(";") == 3


# Calls into the learner's code


def test_a_failed_import_names_the_cause_of_the_name_error(tmp_path):
    path = written(tmp_path, "from no_such_module import sigmoid\n\ndef f(z):\n    return sigmoid(z)\n")
    loaded = load_definitions(path)
    bounded = Bounded(tmp_path, 0, loaded.failed_imports, "--timeout SECONDS", loaded.source_map)
    with pytest.raises(LearnerCodeError) as raised:
        bounded.call("f", loaded.module.f, 1)
    assert raised.value.code == "not-imported" and raised.value.finding.facts["name"] == "sigmoid"


def test_an_error_in_the_learners_code_carries_its_kind_and_line(tmp_path):
    loaded = load_definitions(written(tmp_path, "def f(y):\n    return [0][y]\n"))
    bounded = Bounded(tmp_path, 0, loaded.failed_imports, "--timeout SECONDS", loaded.source_map)
    with pytest.raises(LearnerCodeError) as raised:
        bounded.call("f", loaded.module.f, 3)
    finding = raised.value.finding
    assert (finding.code, finding.facts["error"], finding.place) == (
        "raised",
        "IndexError",
        Place("network.py", 2),
    )


# The package's own shape


def functions(path: Path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def test_every_function_in_the_package_fits_on_one_screen():
    long = [
        f"{path.name}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for path in CHECKER_FILES
        for node in functions(path)
        if node.end_lineno - node.lineno + 1 > 50
    ]
    assert not long


MUTATORS = {"append", "extend", "update", "setdefault", "add", "pop", "clear", "insert", "remove"}


def test_no_module_of_the_package_keeps_state_that_its_functions_change():
    changed = []
    for path in CHECKER_FILES:
        tree = ast.parse(path.read_text())
        names = {
            t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)
        }
        for function in functions(path):
            for node in ast.walk(function):
                if isinstance(node, ast.Global):
                    changed.append(f"{path.name}: global {', '.join(node.names)}")
                target = None
                if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store):
                    target = node.value
                elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                    target = node.func.value if node.func.attr in MUTATORS else None
                if isinstance(target, ast.Name) and target.id in names:
                    changed.append(f"{path.name}:{node.lineno} {target.id}")
    assert not changed


MESSAGE_NAMES = {"note", "notes", "line", "lines", "message", "words", "short", "found", "e", "error"}


def holds_words(node: ast.expr) -> bool:
    """Whether the expression is a message's text: str(e), a finding's words, a note or a line."""
    if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "str":
        return True
    if isinstance(node, ast.Attribute):
        return node.attr in MESSAGE_NAMES or node.attr in ("cost_name",)
    return isinstance(node, ast.Name) and node.id in MESSAGE_NAMES


def test_no_branch_in_the_package_tests_the_words_of_a_message():
    """`"..." in str(e)`, `"tabs" in note`, `e.words.startswith(...)`, `message.split(...)` and the like."""
    words = []
    for path in CHECKER_FILES:
        for node in ast.walk(ast.parse(path.read_text())):
            tested = None
            if isinstance(node, ast.Compare) and any(isinstance(op, ast.In | ast.NotIn) for op in node.ops):
                tested = node.comparators[0]
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                searches = node.func.attr in ("startswith", "endswith", "index") or (
                    node.func.attr == "split" and node.args  # a bare split() only parts words at spaces
                )
                tested = node.func.value if searches else None
            if tested is not None and holds_words(tested):
                words.append(f"{path.name}:{node.lineno} {ast.unparse(node)}")
    assert not words


# The guide


CODED = ("Finding", "skip", "not_returned", "rule", "Factor", "ParseFix", "Filler", "where_wrong")


def finding_codes() -> set[str]:
    """Every code the package gives a finding, read from its source: the first argument of each
    call that makes a finding or a rule, a constant or `"a" if ... else "b"`."""
    codes = set()
    for path in CHECKER_FILES:
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            called = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            if called in CODED and isinstance(node.args[0], ast.Constant | ast.IfExp):
                constants = [c for c in ast.walk(node.args[0]) if isinstance(c, ast.Constant)]
                codes |= {c.value for c in constants if isinstance(c.value, str)}
    return codes


def test_the_guide_lists_every_rule_as_its_lists_make_it():
    assert conventions.guide() in GUIDE.read_text()


def test_the_guide_has_a_line_for_every_code():
    guide = GUIDE.read_text()
    assert len(finding_codes()) > 60
    assert not [code for code in sorted(finding_codes()) if f"`{code}`" not in guide]


def test_every_rule_has_a_code_of_its_own():
    codes = [rule.code for rules in conventions.RULE_LISTS.values() for rule in rules]
    assert len(codes) == len(set(codes)) and all(codes)


# Every message reworded: the same verdicts and the same codes


def with_codes_for_words(made):
    """Finding.__init__ with each finding's words replaced by its code."""

    def making(self, code, words, *args, **kwargs):
        if kwargs.get("short") is not None:
            kwargs["short"] = f"<{code} found>"
        made(self, code, f"<{code}>", *args, **kwargs)

    return making


REWORDED_FILES = (
    "doubled_cost.py",
    "cross_entropy_delta.py",
    "cost_sign.py",
    "python2_tabs.py",
    "bias_left_out.py",
    "l2_in_loop.py",
    "merge_conflict.ipynb",
    "redefined_class.ipynb",
    "sgd_inline.py",
    "label_targets.py",
    "activations_backprop.py",
    "update_in_loop.py",
)
REWORDED = [case for case in CASES if case.values[0].name in REWORDED_FILES]


def run_checker(path: Path, options, mode: str, data) -> tuple[int, list[str], list[str], str]:
    made = with_codes_for_words(Finding.__init__) if mode == "reworded" else Finding.__init__
    done = check_here(path, ["--timeout", "30", *options], data, made)
    verdicts = [line[:7] for line in done.stdout.splitlines() if line[:4] in ("PASS", "FAIL", "SKIP")]
    return done.returncode, verdicts, list(done.codes), done.stdout + done.stderr


@pytest.mark.mnist
def test_every_message_reworded_leaves_the_same_verdicts_and_codes(mnist):
    """Each REWORDED case run as it is and with every finding's words replaced by its code."""
    assert len({case.values[0].name for case in REWORDED}) == len(REWORDED_FILES)

    def both(case):
        path, run = case.values
        return case.id, [run_checker(path, run.options, mode, mnist) for mode in ("as-is", "reworded")]

    seen = set()
    for case_id, (as_is, reworded) in map(both, REWORDED):
        assert reworded[:3] == as_is[:3], (case_id, as_is[3], reworded[3])
        assert as_is[0] == EXIT[next(c for c in REWORDED if c.id == case_id).values[1].expect.split()[0]]
        assert all(f"<{code}>" not in as_is[3] for code in as_is[2]), case_id
        assert all(f"<{code}>" in reworded[3] for code in as_is[2] if code in ("notebook", "python2")), (
            case_id
        )
        seen |= set(as_is[2])
    assert len(seen) >= 15, seen  # the subset shows conventions of every kind


@pytest.mark.mnist
def test_check_file_returns_the_report_the_command_prints(capsys):
    said = []
    report = check.check_file(ROOT / "examples" / "network.py", quick=True, say=said.append)
    assert report.verdicts == [True, True, True] and report.exit_code == 0
    assert report.lines == said and said[0].startswith("network.py: class Network, feedforward")
    assert {note.code for note in report.notes} == {"import-failed", "statement-raised", "script"}
    assert check.main([str(ROOT / "examples" / "network.py"), "--quick"]) == 0
    assert capsys.readouterr().out.splitlines() == said


def test_check_file_raises_the_refusal_with_its_finding(tmp_path):
    with pytest.raises(LearnerFileError) as refused:
        check.check_file(tmp_path / "missing.py", quick=True)
    assert refused.value.code == "no-such-file"
