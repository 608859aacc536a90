"""Flexibility, measured: the statements a change took and whether its gradient was derived by hand,
read from traces (on a small synthetic backend), the speed ratios read from runs, the matrix and its
heatmap, and claims 6 and 7, on matrices built to flip each verdict."""

import importlib.util
import math

import matplotlib.image
import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf

from benchmarks.registry import CONF, backend_configs
from benchmarks.report import answers, flexibility, source
from benchmarks.report.render import Figure, Missing, Table
from tests.conftest import ALL, KINDS, batches, ease, timings

SYNTHETIC_BACKEND = """
import numpy as np


def squash(z):
    return 1 / (1 + np.exp(-z))


def squash_slope(a):
    return a * (1 - a)


class Net:
    def __init__(self, w, cost="quadratic", lmbda=0.0):
        self.w = w.copy()
        self.lmbda = lmbda
        self.output_error = self.quadratic if cost == "quadratic" else self.difference

    def forward(self, x):
        return squash(x @ self.w.T)

    def quadratic(self, a, y):
        return (a - y) * squash_slope(a)

    def difference(self, a, y):
        return a - y

    def gradients(self, x, y):
        a = self.forward(x)
        return [self.output_error(a, y).T @ x]

    def train(self, x, y):
        (g,) = self.gradients(x, y)
        if self.lmbda:
            self.w *= 1 - self.lmbda
        self.w -= g
"""


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """Phases of the synthetic backend's traces, per constructor settings, as trace_phases gives them."""
    path = tmp_path_factory.mktemp("impl") / "hand_written.py"
    path.write_text(SYNTHETIC_BACKEND)
    spec = importlib.util.spec_from_file_location("hand_written", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rng = np.random.default_rng(0)
    w, x, y = rng.random((3, 4)), rng.random((5, 4)), rng.random((5, 3))

    def keep(file):
        return file == str(path)

    def phases(**settings):
        net = module.Net(w, **settings)
        return {
            "train": source.traced(keep, lambda: module.Net(w, **settings).train(x, y)),
            "gradients": source.traced(keep, lambda: net.gradients(x, y)),
            "forward": source.traced(keep, lambda: net.forward(x)),
        }

    return phases


def test_a_new_output_delta_is_read_as_a_hand_derived_gradient(synthetic):
    took = flexibility.compare(synthetic(), synthetic(cost="cross_entropy"), autograd=False)
    # `difference` and its return are new; neither runs in `forward`, so both are backprop
    assert took == {"statements": 2, "derived statements": 2, "by hand": True}


def test_a_change_to_the_update_alone_takes_statements_but_no_backprop(synthetic):
    took = flexibility.compare(synthetic(), synthetic(lmbda=0.1), autograd=False)
    assert took == {"statements": 1, "derived statements": 0, "by hand": False}


def test_the_backward_pass_is_what_gradients_runs_and_forward_does_not(synthetic):
    texts = {}
    backward = flexibility.backward_pass(synthetic(), texts)
    (path,) = texts
    lines = {texts[path].splitlines()[line - 1].strip() for _, line, _ in backward}
    assert "return a * (1 - a)" in lines and "return (a - y) * squash_slope(a)" in lines
    assert "return 1 / (1 + np.exp(-z))" not in lines  # the forward pass, shared with forward()


def test_an_autograd_backend_never_derives_by_hand(synthetic):
    took = flexibility.compare(synthetic(), synthetic(cost="cross_entropy"), autograd=True)
    assert took == {"statements": 2, "derived statements": None, "by hand": False}


def test_a_backend_without_unsupported_that_lacks_the_parameter_does_not_take_the_option():
    class Chapter1:
        def __init__(self, params, train_x, train_y, device="cpu", dtype="float32"):
            pass

    class Refuses(Chapter1):
        @staticmethod
        def unsupported(hidden, **settings):
            return f"one hidden layer only, not {len(hidden)}" if len(hidden) > 1 else None

    assert flexibility.refusal(Chapter1, {"cost": "cross_entropy"}) == "does not take the option cost"
    assert flexibility.refusal(Chapter1, {"init": "scaled"}) is None
    assert flexibility.refusal(Refuses, {"hidden": [30, 30]}) == "one hidden layer only, not 2"
    assert flexibility.refusal(Refuses, {"cost": "cross_entropy"}) is None


def test_the_gradient_check_runs_with_the_change_on():
    numpy_loop = source.implementations()["numpy_loop"]
    assert source.gradient_error(numpy_loop, {}, {"hidden": [30, 30], "init": "scaled"}) < 1e-6

    class WrongForTwoLayers(numpy_loop):
        def gradients(self, x, y):
            grads = super().gradients(x, y)
            return [2 * g for g in grads] if len(grads) > 4 else grads

    assert source.gradient_error(WrongForTwoLayers, {}) < 1e-6
    assert source.gradient_error(WrongForTwoLayers, {}, {"hidden": [30, 30]}) > 0.1


def settings_runs(*cells) -> pd.DataFrame:
    """Runs as `timings` makes them, at chapter 1's settings but for what each cell sets."""
    chapter1 = {"cost": "quadratic", "output": "sigmoid", "lmbda": 0.0, "init": "normal"}
    chapter1 |= {"activation": "sigmoid", "momentum": 0.0, "hidden_layers": "30"}
    return timings(*[chapter1 | cell for cell in cells], runs=1)


def test_each_run_is_known_by_the_one_change_it_makes():
    runs = settings_runs(
        *batches("numpy", {10: 0.2}),
        *batches("numpy", {10: 0.3}, cost="cross_entropy"),
        *batches("numpy", {10: 0.3}, output="softmax", cost="log_likelihood"),
        *batches("numpy", {10: 0.3}, hidden_layers="30,30"),
        *batches("numpy", {10: 0.3}, lmbda=5.0, momentum=0.9),
        *batches("numpy", {10: 0.3}, lmbda=0.1),
    )
    changes = runs.drop_duplicates("run_id").pipe(flexibility.run_change)
    assert list(changes) == ["defaults", "cost=cross_entropy", "output=softmax", "hidden=[30,30]", None, None]


def test_speed_is_the_change_against_the_defaults_and_refusals_are_kept():
    runs = settings_runs(
        *batches("numpy", {10: 0.2}),
        *batches("numpy", {10: 0.3}, activation="tanh"),
        *batches("numpy", {100: 0.1}, activation="relu"),  # no defaults beside it at batch 100
        *batches("torch", {10: 0.4}),
        *batches("torch", {10: 0.4}, momentum=0.9),
    )
    refused = (
        runs[runs.run_id == "run0-0"]
        .head(1)
        .assign(backend="numba", run_id="refused", status="unsupported", hidden_layers="30,30", epoch=0)
    )
    speed = flexibility.speed_ratios(pd.concat([runs, refused])).set_index(["change", "backend"])
    assert speed.loc[("activation=tanh", "numpy"), "speed ratio"] == pytest.approx(1.5)
    assert speed.loc[("momentum=0.9", "torch"), "speed ratio"] == pytest.approx(1.0)
    assert ("activation=relu", "numpy") not in speed.index
    assert speed.loc[("hidden=[30,30]", "numba"), "run"] == "unsupported"


def test_a_change_at_its_own_learning_rate_and_weights_is_timed_against_the_defaults_at_the_same_epochs():
    runs = settings_runs(
        *batches("numpy", {10: 0.2}),
        *batches("numpy", {10: 0.1}, epochs=30),  # the defaults over other epochs: not compared
        *batches("numpy", {10: 0.3}, activation="relu", init="scaled", eta=0.5),
        *batches("numpy", {10: 0.25}, momentum=0.9, eta=0.3),
        *batches("numpy", {10: 0.22}, init="scaled"),
    )
    changes = runs.drop_duplicates("run_id").pipe(flexibility.run_change)
    assert list(changes) == ["defaults", "defaults", "activation=relu", "momentum=0.9", "init=scaled"]
    speed = flexibility.speed_ratios(runs).set_index(["change", "backend"])["speed ratio"]
    assert speed["activation=relu", "numpy"] == pytest.approx(1.5)
    assert speed["momentum=0.9", "numpy"] == pytest.approx(1.25)
    assert speed["init=scaled", "numpy"] == pytest.approx(1.1)


def cell(
    change, backend, statements=1, derived=0.0, by_hand=False, error=1e-9, unsupported=None, speed=math.nan
):
    return {
        "change": change,
        "backend": backend,
        "unsupported": unsupported,
        "statements": statements,
        "derived statements": derived,
        "by hand": by_hand,
        "relative error": error,
        "speed ratio": speed,
    }


def matrix(*cells) -> pd.DataFrame:
    """Two changes in numpy, numpy_loop and torch_autograd, as measured here, `cells` replacing theirs."""
    base = {
        ("cost=cross_entropy", "numpy"): cell("cost=cross_entropy", "numpy", 3, 3.0, True),
        ("cost=cross_entropy", "numpy_loop"): cell("cost=cross_entropy", "numpy_loop", 2, 2.0, True),
        ("cost=cross_entropy", "torch_autograd"): cell("cost=cross_entropy", "torch_autograd", 1, None),
        ("momentum=0.9", "numpy"): cell("momentum=0.9", "numpy", 12),
        ("momentum=0.9", "numpy_loop"): cell("momentum=0.9", "numpy_loop", 10),
        ("momentum=0.9", "torch_autograd"): cell("momentum=0.9", "torch_autograd", 2, None),
    }
    base |= {(c["change"], c["backend"]): c for c in cells}
    return pd.DataFrame(base.values())


def devices(torch_gpu="yes") -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"backend": "numpy", "GPU": "no", "autograd": "no", "dtypes": "float32, float64"},
            {"backend": "torch_autograd", "GPU": torch_gpu, "autograd": "yes", "dtypes": "float32, bfloat16"},
        ]
    )


REFUSED = "does not take the option momentum"


@pytest.mark.parametrize(
    ("cells", "verdict", "evidence"),
    [
        (
            (),
            "holds",
            "cost=cross_entropy took numpy_loop 2 statements and a re-derived gradient (2 statements of "
            "backprop); torch_autograd 1 statement and no derivation (autograd)",
        ),
        (
            (cell("momentum=0.9", "numpy", unsupported=REFUSED),),
            "holds only in part",
            f"Not taken: numpy momentum=0.9: {REFUSED}.",
        ),
        (
            (cell("cost=cross_entropy", "numpy_loop", error=0.3),),
            "holds only in part",
            "Not taken: numpy_loop cost=cross_entropy: wrong gradient.",
        ),
        (
            (
                cell("momentum=0.9", "numpy", unsupported=REFUSED),
                cell("momentum=0.9", "numpy_loop", unsupported=REFUSED),
            ),
            "does not hold",
            "took 1 of 2 of chapter 3's changes",
        ),
    ],
)
def test_customise_follows_what_from_scratch_numpy_took(cells, verdict, evidence):
    answer = answers.claim_customise(matrix(*cells), KINDS, ALL)
    assert answer.verdict == verdict
    assert evidence in answer.evidence


def test_customise_is_not_measured_without_a_from_scratch_backend():
    answer = answers.claim_customise(matrix(), KINDS, {"torch_autograd"})
    assert answer.verdict == "not measured"


@pytest.mark.parametrize(
    ("cells", "torch_gpu", "verdict"),
    [
        ((), "yes", "holds"),
        ((), "no", "holds only in part"),
        ((cell("momentum=0.9", "torch_autograd", 14, None),), "yes", "holds only in part"),
        (
            (
                cell("momentum=0.9", "torch_autograd", unsupported="no momentum"),
                cell("cost=cross_entropy", "torch_autograd", unsupported="no cross-entropy"),
            ),
            "yes",
            "does not hold",
        ),
    ],
)
def test_builtins_follow_what_autograd_pytorch_took(cells, torch_gpu, verdict):
    counts = {"numpy_loop": 50, "torch_autograd": 28}
    answer = answers.claim_builtins(matrix(*cells), devices(torch_gpu), ease(counts), KINDS, ALL)
    assert answer.verdict == verdict
    if not cells:
        assert "took 2 of 2 of chapter 3's changes without deriving a gradient, 2 of them" in answer.evidence
        assert (
            "cost=cross_entropy 1 (torch_autograd) against 2* (numpy_loop), momentum=0.9 2 (torch_autograd) "
            "against 10 (numpy_loop)." in answer.evidence
        )


def test_builtins_are_not_measured_without_autograd_pytorch():
    answer = answers.claim_builtins(matrix(), devices(), ease({"numpy_loop": 50}), KINDS, {"numpy"})
    assert answer.verdict == "not measured"


def test_the_tables_show_each_cell_in_a_few_words_and_unsupported_ones_as_such():
    refused = cell("momentum=0.9", "numpy", unsupported="does not take the option momentum")
    wrong = cell("momentum=0.9", "numpy_loop", 10, error=0.3)
    measured = matrix(refused, wrong, cell("cost=cross_entropy", "numpy", 3, 3.0, True, speed=1.25))
    backprop = flexibility.matrix_table(measured, flexibility.backprop_text).set_index("change")
    assert backprop.loc["cost=cross_entropy", "numpy"] == "by hand (3)"
    assert backprop.loc["cost=cross_entropy", "torch_autograd"] == "autograd"
    assert backprop.loc["momentum=0.9", "numpy_loop"] == "no new backprop · grad WRONG (0.3)"
    assert backprop.loc["momentum=0.9", "numpy"] == "unsupported"
    assert list(backprop.index) == ["cost=cross_entropy", "momentum=0.9"]  # in CHANGES' order
    speed = flexibility.matrix_table(measured, flexibility.speed_text).set_index("change")
    assert speed.loc["cost=cross_entropy", "numpy"] == "1.25×"
    assert speed.loc["cost=cross_entropy", "torch_autograd"] == "not timed"
    assert speed.loc["momentum=0.9", "numpy"] == "unsupported"
    assert flexibility.unsupported_reasons(measured) == [
        "numpy, momentum=0.9: does not take the option momentum"
    ]


def test_without_flexibility_runs_the_section_says_what_produces_speed_and_accuracy(tmp_path):
    runs = settings_runs(*batches("numpy", {10: 0.2}))
    refused = cell("momentum=0.9", "numpy", unsupported="does not take the option momentum")
    blocks = flexibility.report_blocks(runs, matrix(refused), tmp_path)
    missing = " ".join(b.text for b in blocks if isinstance(b, Missing))
    assert "`python run.py -m +sweep=flexibility`" in missing and "change=chapter3 epochs=30" in missing
    assert any(isinstance(b, Table) for b in blocks)
    (figure,) = [b for b in blocks if isinstance(b, Figure)]
    image = matplotlib.image.imread(tmp_path / figure.file)
    assert image.ndim == 3 and min(image.shape[:2]) > 200
    assert "1 cell unsupported" in figure.caption


def test_chapter3_accuracy_is_the_median_final_and_best_of_its_runs(tmp_path):
    ran = settings_runs(
        *batches("numpy", {10: 0.2}, cost="cross_entropy", eta=0.5, lmbda=5.0),
        *batches("numpy", {10: 0.2}, cost="cross_entropy", eta=0.5),  # no L2: not chapter 3's runs
    )
    ran.loc[ran.run_id == "run0-0", "test_acc"] = [0.95, 0.97, 0.96]
    table = flexibility.chapter3_accuracy(ran)
    assert table.to_dict("records") == [
        {
            "backend": "numpy",
            "hidden": 30,
            "epochs": 3,
            "seeds": 1,
            "final test acc": "96.00%",
            "best test acc": "97.00%",
        }
    ]
    blocks = flexibility.report_blocks(ran, matrix(), tmp_path)
    assert not any("chapter 3's settings" in b.text for b in blocks if isinstance(b, Missing))


def test_chapter3_accuracy_is_marked_where_the_runs_did_not_learn():
    ran = settings_runs(*batches("numpy", {10: 0.2}, cost="cross_entropy", eta=0.5, lmbda=5.0))
    ran["test_acc"], ran["train_cost"] = [0.11, 0.12, 0.12], [2.3, 2.3, 2.3]
    (row,) = flexibility.chapter3_accuracy(ran).to_dict("records")
    assert row["final test acc"] == "12.00% (saturated)" and row["best test acc"] == "12.00% (saturated)"


def the_change(settings: dict) -> dict:
    """A conf/change file's change: its settings but the learning rate it trains at, and but the scaled
    weights it starts from when it is another change."""
    settings = {key: value for key, value in settings.items() if key != "eta"}
    return settings if len(settings) == 1 else {k: v for k, v in settings.items() if k != "init"}


def test_the_preset_times_every_change_beside_chapter_1():
    preset = OmegaConf.load(CONF / "sweep" / "flexibility.yaml")
    names = preset.hydra.sweeper.params.change.split(",")
    changes = [OmegaConf.to_container(OmegaConf.load(CONF / "change" / f"{n}.yaml")) or {} for n in names]
    assert changes[0] == {} and names[0] == "chapter1"
    assert sorted(map(str, map(the_change, changes[1:]))) == sorted(map(str, flexibility.CHANGES.values()))
    chapter3 = OmegaConf.to_container(OmegaConf.load(CONF / "change" / "chapter3.yaml"))
    assert chapter3 == flexibility.CHAPTER3
    ours = {name for name, conf in backend_configs().items() if conf.get("style") != "learner"}
    assert set(preset.hydra.sweeper.params.backend.split(",")) == ours


def test_builtins_hold_only_in_part_when_autograd_pytorch_writes_its_optimiser_by_hand():
    counts = {"numpy_loop": 50, "torch_autograd": 28}
    answer = answers.claim_builtins(matrix(), devices(), ease(counts, optimiser="by hand"), KINDS, ALL)
    assert answer.verdict == "holds only in part" and "; not torch.optim" in answer.evidence
