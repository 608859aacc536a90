"""`python -m benchmarks.check` on a learner's network.py: right, broken in six ways, or unusable."""

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch

from benchmarks.learner import check
from benchmarks.learner.adapter import LearnerFileError, YourNetwork
from benchmarks.report import document, source, summary
from tests.conftest import ROOT, TINY, run_py
from tests.test_learners import check_here

pytestmark = pytest.mark.mnist

EXAMPLE = ROOT / "examples" / "network.py"
CORRECT = EXAMPLE.read_text()
HIDDEN_DELTA = "delta = np.dot(self.weights[-layer + 1].transpose(), delta) * sigmoid_prime(z)"
OUTPUT_DELTA = "delta = self.cost_derivative(activations[-1], y) * sigmoid_prime(zs[-1])"


def variant(tmp_path, *edits: tuple[str, str], name="network.py") -> str:
    """The example with each (old, new) edit made, written to tmp_path; the edits must apply."""
    source = CORRECT
    for old, new in edits:
        assert old in source, old
        source = source.replace(old, new)
    path = tmp_path / name
    path.write_text(source)
    return str(path)


@pytest.fixture(autouse=True)
def mnist_loaded_once(monkeypatch, mnist):
    """The checker's MNIST, loaded once for every test here."""
    monkeypatch.setattr(check, "load_mnist", lambda: mnist)


def checked(capsys, *argv) -> tuple[int, list[str], str]:
    code = check.main([*argv])
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err


def test_a_correct_file_passes_every_check_and_is_timed(capsys):
    code, lines, _ = checked(capsys, str(EXAMPLE))
    assert code == 0
    assert [line[:7] for line in lines if line.startswith(("PASS", "FAIL"))] == [
        "PASS 1.",
        "PASS 2.",
        "PASS 3.",
        "PASS 4.",
    ]
    assert "skipped 5 top-level statements (the script part)" in lines[1]
    assert "No module named 'mnist_loader'" in lines[1] and "`net.SGD(" in lines[1]
    versions = f"(numpy {np.__version__})", f"(torch {torch.__version__})"
    for backend in (
        "yours (network.py)",
        f"numpy_loop {versions[0]}",
        f"numpy {versions[0]}",
        f"torch {versions[1]}",
    ):
        backend = f"| {backend} |"
        assert any(line.startswith(backend) for line in lines)
    assert lines[-1] == "4 of 4 checks passed"


def test_each_peer_is_timed_with_its_librarys_version_and_one_whose_library_is_missing_says_how_to_get_it(
    monkeypatch,
):
    monkeypatch.setattr(check, "PEERS", {"numpy": "numpy", "torch": "a_library_not_installed_here"})
    yours = SimpleNamespace(found=SimpleNamespace(module=SimpleNamespace(__file__="network.py")))
    table, missing = check.timing_table(yours, 1.0, check.load_mnist())
    assert list(table.backend) == ["yours (network.py)", f"numpy (numpy {np.__version__})"]
    assert missing == [
        "torch is not timed: a_library_not_installed_here is not installed here "
        "(pip install a_library_not_installed_here)"
    ]


BROKEN = {
    "sign error in the output delta": (
        [("return output_activations - y", "return y - output_activations")],
        1,
        ["every array has its sign flipped", "(y - a), not (a - y)"],
    ),
    "sigma' missing in the hidden layer": (
        [(HIDDEN_DELTA, "delta = np.dot(self.weights[-layer + 1].transpose(), delta)")],
        1,
        ["nabla_w[0] (the hidden layer's weights) is", "The output layer is right"],
    ),
    "sigma' of the activation instead of z": (
        [(OUTPUT_DELTA, "delta = self.cost_derivative(activations[-1], y) * sigmoid_prime(activations[-1])")],
        1,
        ["nabla_w[-1] (the output layer's weights) is", "σ' taken of z, not of a"],
    ),
    "wrong bias gradient": (
        [("nabla_b[-1] = delta", "nabla_b[-1] = self.cost_derivative(activations[-1], y)")],
        1,
        ["nabla_b[-1] (the output layer's biases) is", "the bias gradient should be delta itself"],
    ),
    "weight gradient from the wrong activation": (
        [("np.dot(delta, activations[-2].transpose())", "np.dot(delta, zs[-2].transpose())")],
        1,
        ["nabla_w[-1] (the output layer's weights) is", "previous layer's activation"],
    ),
    "no division by the mini-batch size": (
        [("(eta / len(mini_batch)) * nw", "eta * nw"), ("(eta / len(mini_batch)) * nb", "eta * nb")],
        2,
        ["every weight and bias update is 4 times the true value", "division by len(mini_batch) is missing"],
    ),
}


@pytest.mark.parametrize("broken", BROKEN)
def test_each_broken_variant_fails_and_the_message_names_what_is_wrong(broken, tmp_path, capsys):
    edits, failing, phrases = BROKEN[broken]
    code, lines, _ = checked(capsys, variant(tmp_path, *edits), "--quick")
    assert code == 1
    line = next(line for line in lines if line.startswith(f"FAIL {failing}."))
    for phrase in phrases:
        assert phrase in line, line
    assert all(not line.startswith(f"FAIL {n}.") for n in range(1, failing)), "earlier checks pass"


NETWORK2 = (ROOT / "tests" / "learners" / "network2.py").read_text()
SUMMED_W = "            nabla_w = [nw+dnw for nw, dnw in zip(nabla_w, delta_nabla_w)]\n"
DECAYED_UPDATE = (
    "self.weights = [(1-eta*(lmbda/n))*w-(eta/len(mini_batch))*nw for w, nw in zip(self.weights, nabla_w)]"
)
PLAIN_UPDATE = "self.weights = [w-(eta/len(mini_batch))*nw for w, nw in zip(self.weights, nabla_w)]"
BIASES_UPDATE = "self.biases = [b-(eta/len(mini_batch))*nb for b, nb in zip(self.biases, nabla_b)]"
L2_VARIANTS = {
    "the L2 term summed with each example's gradient": (
        [
            (
                SUMMED_W,
                "            nabla_w = [nw+dnw+(lmbda/n)*w\n"
                "                       for nw, dnw, w in zip(nabla_w, delta_nabla_w, self.weights)]\n",
            ),
            (DECAYED_UPDATE, PLAIN_UPDATE),
        ],
        0,
        "its L2 term (lmbda=5, n=50000, m=4, eta=0.3) shrinks the weights by eta·lmbda/n",
    ),
    "the weights decayed inside the loop over the examples": (
        [
            (SUMMED_W, SUMMED_W + "            self.weights = [(1-eta*(lmbda/n))*w for w in self.weights]\n"),
            (DECAYED_UPDATE, PLAIN_UPDATE),
        ],
        1,
        "the weights decay m times as much as the book's: the L2 term is applied once per example",
    ),
    "lmbda divided by the mini-batch size": (
        [("(1-eta*(lmbda/n))", "(1-eta*(lmbda/len(mini_batch)))")],
        1,
        "the L2 term divides lmbda by len(mini_batch) where the book divides it by n",
    ),
    "lmbda taken and ignored": ([(DECAYED_UPDATE, PLAIN_UPDATE)], 1, "lmbda does not change the weights"),
    "the biases decayed too, a convention": (
        [(BIASES_UPDATE, BIASES_UPDATE.replace("[b-", "[(1-eta*(lmbda/n))*b-"))],
        0,
        "and the biases too, which the book leaves out",
    ),
    "the biases decayed twice as much as the weights": (
        [(BIASES_UPDATE, BIASES_UPDATE.replace("[b-", "[(1-2*eta*(lmbda/n))*b-"))],
        1,
        "the weights decay as the book's, but lmbda changes the rest of the step too",
    ),
}


@pytest.mark.parametrize("case", L2_VARIANTS)
def test_network2s_weight_decay_is_checked_at_chapter_3s_lmbda(case, tmp_path, capsys):
    edits, code, phrase = L2_VARIANTS[case]
    source = NETWORK2
    for old, new in edits:
        assert old in source, old
        source = source.replace(old, new)
    (tmp_path / "network2.py").write_text(source)
    returned, lines, _ = checked(capsys, str(tmp_path / "network2.py"), "--quick")
    assert returned == code
    verdicts = [line for line in lines if line.startswith(("PASS", "FAIL"))]
    assert verdicts[0].startswith("PASS 1.")
    assert verdicts[1].startswith("PASS 2." if code == 0 else "FAIL 2.") and phrase in verdicts[1], verdicts[
        1
    ]


def test_renamed_methods_and_another_class_name_are_found(tmp_path, capsys):
    path = variant(
        tmp_path,
        ("class Network:", "class NeuralNetwork:"),
        ("def backprop(", "def backpropagation("),
        ("self.backprop(x, y)", "self.backpropagation(x, y)"),
        ("def feedforward(", "def feed_forward("),
        ("self.feedforward(x)", "self.feed_forward(x)"),
    )
    code, lines, _ = checked(capsys, path, "--quick")
    assert code == 0
    assert "class NeuralNetwork, feedforward as `feed_forward`" in lines[0]
    assert "backprop as `backpropagation`" in lines[0]


def test_without_a_backprop_method_the_gradient_comes_from_the_update(tmp_path, capsys):
    inlined = CORRECT.replace("def backprop(", "def _gradient_of(").replace(
        "self.backprop(", "self._gradient_of("
    )
    path = tmp_path / "network.py"
    path.write_text(inlined)
    code, lines, _ = checked(capsys, str(path), "--quick")
    assert code == 0
    assert "the one-example update (no backprop method)" in lines[2]


def test_helpers_beside_the_file_resolve_and_the_script_part_is_skipped(tmp_path, capsys):
    (tmp_path / "utilities").mkdir()
    (tmp_path / "utilities" / "__init__.py").write_text("")
    (tmp_path / "utilities" / "math_utilities.py").write_text(
        "import numpy as np\n\n\ndef sigmoid(z):\n    return 1.0 / (1.0 + np.exp(-z))\n"
    )
    own_sigmoid = "def sigmoid(z):\n    return 1.0 / (1.0 + np.exp(-z))\n"
    path = variant(
        tmp_path,
        (own_sigmoid, "from utilities.math_utilities import sigmoid\n"),
        ("training_data = list(training_data)", 'if __name__ == "__main__":\n    print("training")'),
    )
    code, lines, _ = checked(capsys, path, "--quick")
    assert code == 0
    assert "the `if __name__ == '__main__'` block" in lines[1]


def line_of(text: str, edits) -> int:
    """The line of the edited example on which `text` stands."""
    source = CORRECT
    for old, new in edits:
        source = source.replace(old, new)
    return next(n for n, line in enumerate(source.splitlines(), start=1) if text in line)


PYTHON_2 = [('print(f"Epoch {j} complete")', 'print "Epoch", `j`, "complete"')]  # backticks: 2to3's job
PRINT_STATEMENT_LINE = line_of('print "Epoch', PYTHON_2)
RAISES_ON_IMPORT = [("class Network:\n", "class Network:\n    LIMIT = 1 / 0\n")]
TORCH_TENSORS = [
    ("import numpy as np\n", "import numpy as np\nimport torch\n"),
    ("z = np.dot(w, activation) + b", "z = torch.mm(w, activation) + b"),
]
UNUSABLE = {
    "Python 2": (
        PYTHON_2,
        [],
        f"network.py is Python 2 (print statement at line {PRINT_STATEMENT_LINE}): run it through 2to3",
    ),
    "missing class": (
        [],
        ["--class", "Perceptron"],
        "network.py has no class Perceptron (its classes: Network)",
    ),
    "missing methods": (
        [("def update_mini_batch(", "def train_on("), ("def backprop(", "def gradients_of(")],
        [],
        f"network.py line {line_of('class Network', [])}: class Network has no update_mini_batch method that "
        "the tool recognises (its methods: feedforward, SGD, train_on, gradients_of, evaluate, "
        "cost_derivative); name it: --method update_mini_batch=NAME",
    ),
    "raises on import": (
        RAISES_ON_IMPORT,
        [],
        f"network.py line {line_of('LIMIT', RAISES_ON_IMPORT)}: raised ZeroDivisionError while loading: "
        "division by zero",
    ),
    "a method raises when called": (
        TORCH_TENSORS,
        [],
        f"network.py line {line_of('torch.mm', TORCH_TENSORS)} (in backprop) raised TypeError: ",
    ),
}


@pytest.mark.parametrize("case", UNUSABLE)
def test_an_unusable_file_exits_2_with_one_line_naming_it(case, tmp_path, mnist):
    edits, options, message = UNUSABLE[case]
    path = variant(tmp_path, *edits)
    done = check_here(Path(path), options, mnist)  # the command's own process: tests/test_learners.py
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith(f"error: {message}"), done.stderr


def test_a_backprop_without_an_update_is_checked_alone_and_a_run_of_it_is_refused(tmp_path, capsys):
    path = variant(tmp_path, ("def update_mini_batch(", "def train_on("))
    code, lines, _ = checked(capsys, path, "--quick")
    assert code == 0
    assert [line[:7] for line in lines if line.startswith(("PASS", "FAIL", "SKIP"))] == [
        "PASS 1.",
        "SKIP 2.",
        "SKIP 3.",
    ]
    missing = "class Network has no update_mini_batch method that the tool recognises"
    assert any(missing in line and "--method update_mini_batch=NAME" in line for line in lines)
    assert lines[-1] == "1 of 1 checks passed, 2 skipped"
    with pytest.raises(LearnerFileError, match=f"{missing} .*; name it: network_method="):
        YourNetwork.check_options(path=path)


def test_a_learners_file_runs_under_the_harness_beside_the_others(tmp_path):
    mine = tmp_path / "alice" / "network.py"
    mine.parent.mkdir()
    mine.write_text(CORRECT)
    done = run_py(
        "-m", "backend=yours,numpy", f"network={mine}", *TINY, f"results_dir={tmp_path / 'results'}"
    )
    assert done.returncode == 0, done.stderr
    runs = pd.read_parquet(tmp_path / "results" / "runs.parquet")
    yours, numpy = (runs[runs.backend == name].sort_values("epoch") for name in ("yours", "numpy"))
    assert (yours.status == "ok").all() and list(yours.epoch) == list(numpy.epoch) == [1, 2]
    # From the same start, in the same order, the file trains as the numpy backend does: the same
    # accuracies (to one of the 50 examples, for float32's sums in another order) and the same cost.
    for column in ("val_acc", "test_acc"):
        assert np.allclose(yours[column], numpy[column], rtol=0, atol=0.021), (yours[column], numpy[column])
    assert np.allclose(yours.train_cost, numpy.train_cost, rtol=1e-3)
    assert yours.test_acc.iloc[-1] >= yours.test_acc.iloc[0] + 0.3  # it learns
    assert yours.backend_files.notna().all() and numpy.backend_files.isna().all()
    assert "yours (cpu, path=alice/network.py) batch=20" in done.stdout + done.stderr
    # The report's ease-of-use table, as the report makes it from these runs (without the rest of the
    # report, whose measurements of every backend take minutes in a test session's fresh cache).
    reported, _ = document.load(tmp_path / "results" / "runs.parquet")
    ease = source.ease_of_use_table(extra=summary.named_files(reported)).set_index("backend")
    assert ease.loc["yours (path=alice/network.py)", "files"] == "network.py"
    assert ease.loc["yours (path=alice/network.py)", "statements run to train"] > 0


def test_a_file_that_cannot_be_used_stops_a_run_before_it_starts_with_one_line(tmp_path):
    done = run_py("-m", "backend=yours,numpy", "network=no/such/network.py", f"results_dir={tmp_path}")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == (
        "error: backend=yours: no/such/network.py: no such file; give the path to your network.py"
    )
    assert not (tmp_path / "runs.parquet").exists()
