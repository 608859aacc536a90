"""Is my backprop right, and how fast is my network.py? A check of a file written from the book.

    python -m benchmarks.learner.check PATH/network.py [--quick] [--class NAME] [--init NAME=EXPR]
        [--method ROLE=NAME] [--arg NAME=EXPR] [--param ROLE=NAME] [--timeout SECONDS]
                                                                        (make check FILE=PATH)

The file is loaded as it is (benchmarks/learner/: its script part skipped, its
methods found under the names learners give them, each call into it under a time
limit), its parameters are set to the harness's shared initial values, and it is
checked, one line per check, in this order:

1. backprop against central finite differences of its cost (the book's quadratic,
   or the cost class it keeps in self.cost) computed through its own feedforward,
   in float64, on a few real MNIST examples;
2. one update_mini_batch against the SGD step made from its own backprop, and where it
   takes network2's lmbda, its weight decay at chapter 3's lmbda;
3. 20 mini-batches in the harness's order against numpy_loop, from the same start;
4. one epoch of real MNIST in the harness's order: test accuracy at least 90%;
5. its epoch time beside the project's backends, one after the other in this process.

A network built with another number of weight or bias arrays than layers fails
first, as check 0; a class with a backprop and no update_mini_batch gets check 1
alone. --quick runs checks 1 to 3 only. Exit status: 0 when every check passes, 1 when
one fails, 2 when the file cannot be used at all (one line says why and what to do).
"""

import argparse
import importlib.metadata
import importlib.util
import inspect
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

from .. import env, harness, timing
from ..configuration import NIELSEN
from ..data import load_mnist
from ..errors import command
from ..fairness import epoch_order, init_params, layer_sizes
from ..findings import Finding, LearnerCodeError, LearnerFileError, rule
from ..registry import import_class
from ..report.render import markdown_table
from .adapter import DEFAULT_TIMEOUT, YourNetwork
from .parameters import as_numpy
from .roles import CLI

COSTS, NumpyLoop = import_class("impls.numpy_loop.COSTS"), import_class("impls.numpy_loop.NumpyLoop")

HIDDEN, BATCH, ETA = NIELSEN["hidden"], NIELSEN["batch_size"], NIELSEN["eta"]
GRADIENT_EXAMPLES, ENTRIES_PER_ARRAY, H = 5, 30, 1e-5
GRADIENT_TOLERANCE = 1e-5
UPDATE_M, UPDATE_ETA = 4, 0.3
L2_LMBDA, L2_TOLERANCE = 5.0, 1e-6  # chapter 3's lmbda; its decay is small beside the step, so tighter
STEPS = 20
TARGET_ACCURACY = 0.90
PEERS = {"numpy_loop": "numpy", "numpy": "numpy", "torch": "torch"}  # each with the library it runs on

__all__ = ["LearnerCodeError", "LearnerFileError", "Report", "check_file", "main"]


def array_names(n_layers: int) -> list[str]:
    """Book names of [dW1, db1, dW2, db2, ...], e.g. 'nabla_w[0] (the hidden layer's weights)'."""
    names = []
    for layer in range(n_layers):
        which = "the output layer's" if layer == n_layers - 1 else f"hidden layer {layer + 1}'s"
        if n_layers == 2 and layer == 0:
            which = "the hidden layer's"
        index = -1 if layer == n_layers - 1 else layer
        names += [f"nabla_w[{index}] ({which} weights)", f"nabla_b[{index}] ({which} biases)"]
    return names


def factor_of(got: np.ndarray, expected: np.ndarray) -> float:
    """The multiple of `expected` nearest to `got` (least squares)."""
    return float(got.ravel() @ expected.ravel() / max(expected.ravel() @ expected.ravel(), 1e-300))


def diagnose(got: np.ndarray, expected: np.ndarray) -> tuple[float, Finding | None]:
    """(relative error, what is wrong, or None when it is right); the finding's words follow the array's
    name, and its `shown` fact is the number they show, so that two arrays wrong alike compare equal."""
    if got.shape != expected.shape:
        words, shown = f"has shape {got.shape}, expected {expected.shape}", f"{got.shape} {expected.shape}"
        return np.inf, Finding("wrong-shape", words, facts={"shown": shown})
    scale = max(np.linalg.norm(got), np.linalg.norm(expected), 1e-300)
    relative = float(np.linalg.norm(got - expected) / scale)
    if relative < GRADIENT_TOLERANCE:
        return relative, None
    if np.linalg.norm(got) < 1e-12 * scale:
        return relative, Finding("zero", "is zero where the gradient is not")
    factor = factor_of(got, expected)
    residual = np.linalg.norm(got - factor * expected) / scale
    if residual < 1e-3:
        if abs(factor + 1) < 1e-3:
            return relative, Finding("sign-flipped", "has its sign flipped", facts={"factor": factor})
        shown = f"{factor:.4g}"
        words = f"is {shown} times the true value (a constant factor)"
        return relative, Finding("scaled", words, facts={"factor": factor, "shown": shown})
    shown = f"{relative:.2g}"
    return relative, Finding("wrong", f"is wrong (relative error {shown})", facts={"shown": shown})


@dataclass(frozen=True)
class Wrong:
    """One array a check found wrong: its name and what is wrong with it."""

    array: str
    problem: Finding

    def __str__(self) -> str:
        return f"{self.array} {self.problem}"

    @property
    def kind(self) -> tuple:
        """What is wrong, as data: two arrays of the same kind are wrong alike."""
        return self.problem.code, self.problem.facts.get("shown")


def build(options: dict, data, dtype: str) -> YourNetwork:
    params = init_params(layer_sizes(HIDDEN), seed=0)
    train = data.train_x, data.train_y
    return YourNetwork(params, *train, "cpu", dtype, spelling=CLI, cost=None, without_update=True, **options)


def sampled_entries(shape, rng) -> tuple[np.ndarray, ...]:
    flat = rng.choice(int(np.prod(shape)), size=min(ENTRIES_PER_ARRAY, int(np.prod(shape))), replace=False)
    return np.unravel_index(flat, shape)


def total_cost(net: YourNetwork, params, x, y) -> float:
    net.set_parameters(params)
    return net.cost(x, y) * len(x)


def compared_to_differences(net: YourNetwork, x, y, analytic) -> tuple[tuple, list[Wrong]]:
    """Each array of the gradients against central differences of the cost at sampled entries: the worst
    (relative error, array name), and the arrays that are wrong."""
    params = init_params(layer_sizes(HIDDEN), seed=0)
    rng, names = np.random.default_rng(0), array_names(len(params) // 2)
    worst, wrong = (0.0, names[0]), []
    for index, (param, grad) in enumerate(zip(params, analytic)):
        if grad.shape != param.shape:
            wrong.append(Wrong(names[index], diagnose(grad, param)[1]))
            continue
        entries = sampled_entries(param.shape, rng)
        numeric = np.empty(len(entries[0]))
        for k, entry in enumerate(zip(*entries)):
            plus, minus = [p.copy() for p in params], [p.copy() for p in params]
            plus[index][entry] += H
            minus[index][entry] -= H
            numeric[k] = (total_cost(net, plus, x, y) - total_cost(net, minus, x, y)) / (2 * H)
        relative, problem = diagnose(grad[entries], numeric)
        worst = max(worst, (relative, names[index]))
        if problem:
            wrong.append(Wrong(names[index], problem))
    net.set_parameters(params)
    return worst, wrong


def check_gradient(net: YourNetwork, data) -> tuple[bool, str]:
    """1: backprop (or, without one, the one-example update) against central differences."""
    x, y = net.place(data.train_x[:GRADIENT_EXAMPLES], data.train_y[:GRADIENT_EXAMPLES])
    analytic = net.gradients(x, y)
    worst, wrong = compared_to_differences(net, x, y, analytic)
    how = (
        f"`{net.found.names['backprop']}`"
        if net.found.names["backprop"]
        else "the one-example update (backprop left out, see the note)"
        if net.found.backprop_left_out
        else "the one-example update (no backprop method)"
    )
    setting = f"float64, {GRADIENT_EXAMPLES} MNIST examples, {ENTRIES_PER_ARRAY} entries per array"
    of = f" of the {net.found.cost_name}" if net.found.own_cost else ""
    if not wrong:
        return (
            True,
            f"{how} matches central differences{of} ({setting}): "
            f"worst relative error {worst[0]:.1e} in {worst[1]}",
        )
    against = f"{how} against central differences{of} ({setting})"
    case = GradientCase(net, data, analytic, wrong, array_names(net.found.n_layers))
    explained = next((found for diagnosis in GRADIENT_DIAGNOSES if (found := diagnosis(case))), None)
    if explained and explained.facts.get("whole"):
        return False, against + explained.words
    return False, f"{against}: {summary(wrong, case.names, 'array')}{explained or ''}"


def relative_error(got: list[np.ndarray], expected: list[np.ndarray]) -> float:
    got, expected = np.concatenate([g.ravel() for g in got]), np.concatenate([e.ravel() for e in expected])
    return float(np.linalg.norm(got - expected) / max(np.linalg.norm(expected), 1e-300))


def same(got: list[np.ndarray], expected: list[np.ndarray]) -> bool:
    return relative_error(got, expected) <= 1e-6


def reference_gradients(start: list[np.ndarray], data, **settings) -> list[np.ndarray]:
    """numpy_loop's summed gradients at `start` on the examples check 1 uses, under these settings."""
    x, y = data.train_x[:GRADIENT_EXAMPLES], data.train_y[:GRADIENT_EXAMPLES]
    reference = NumpyLoop(start, data.train_x[:1], data.train_y[:1], dtype="float64", **settings)
    return reference.gradients(*reference.place(x, y))


@dataclass
class GradientCase:
    """What check 1 found wrong, for its diagnoses to explain: the learner's gradients and the arrays
    that differ from central differences."""

    net: YourNetwork
    data: object
    analytic: list[np.ndarray]
    wrong: list[Wrong]
    names: list[str]

    @property
    def every_array(self) -> bool:
        return len(self.wrong) == len(self.names)

    def bad(self) -> set[str]:
        return {w.array for w in self.wrong}

    def bad_indices(self) -> set[int]:
        """The wrong arrays' places in [dW1, db1, ...]: a weight array's even, a bias vector's odd."""
        return {self.names.index(w.array) for w in self.wrong}

    def equal_numpy_loops(self, start=None, **settings) -> bool:
        """Whether the learner's gradients equal numpy_loop's with this start and these settings."""
        start = init_params(layer_sizes(HIDDEN), seed=0) if start is None else start
        return same(self.analytic, reference_gradients(start, self.data, **settings))


@rule("doubled-cost")
def doubled_cost(case: GradientCase) -> Finding | None:
    """Every gradient twice the book's: the derivative of ‖a − y‖², not of ½‖a − y‖²."""
    doubled = all(
        w.problem.code == "scaled" and abs(w.problem.facts["factor"] - 2) < 5e-5 for w in case.wrong
    )
    if not (case.every_array and doubled) or case.net.found.own_cost:
        return None
    net, found = case.net, "the output error is 2(a − y)"
    derivative = getattr(net.net, "cost_derivative", None)
    if callable(derivative):
        a, y = np.full((net.found.n_out, 1), 0.75), np.eye(net.found.n_out)[:, [0]]
        try:
            returned = net.bounded.call("cost_derivative", derivative, a, y)
            if np.shape(returned) == a.shape and np.allclose(returned, 2 * (a - y)):
                found = "cost_derivative returns 2(a − y)"
        except LearnerCodeError:
            pass  # a cost_derivative of another signature: the words above still hold
    return Finding(
        "doubled-cost",
        f": every gradient is exactly 2× the book's, because {found}, the gradient of ‖a − y‖² rather than "
        "of the book's ½‖a − y‖²; training with it equals the book's network with eta doubled "
        "(return a - y to match the book)",
        facts={"whole": True},
    )


@rule("biases-left-out")
def biases_left_out(case: GradientCase) -> Finding | None:
    """The gradients of the network without its biases: the forward pass inside backprop leaves out + b."""
    params = init_params(layer_sizes(HIDDEN), seed=0)
    if not case.equal_numpy_loops([p if k % 2 == 0 else np.zeros_like(p) for k, p in enumerate(params)]):
        return None
    return Finding(
        "biases-left-out",
        ": they are the gradients of the network without its biases, so the forward pass inside "
        f"{case.net.found.names['backprop'] or 'backprop'} computes z = w·a, leaving out + b "
        "(feedforward adds it); write z = np.dot(w, activation) + b there",
    )


@rule("cross-entropy-delta")
def cross_entropy_delta(case: GradientCase) -> Finding | None:
    """The cross-entropy's output delta, (a − y), under the book's quadratic cost."""
    if case.net.found.own_cost or not case.equal_numpy_loops(cost="cross_entropy"):
        return None
    return Finding(
        "cross-entropy-delta",
        ": they are the cross-entropy cost's gradients, not the quadratic cost's: the output delta "
        "is (a − y) without σ'(z), which is right for cross-entropy (chapter 3) and not for the "
        "book's quadratic cost. For the quadratic cost, multiply it by sigmoid_prime(zs[-1]); to "
        "check it as cross-entropy, keep the cost in self.cost as network2.py does "
        "(self.cost = CrossEntropyCost, with fn(a, y)), and run it with cost=cross_entropy",
    )


FORMULAS = {"quadratic": "½‖a − y‖²", "cross_entropy": "−Σ[y ln a + (1 − y) ln(1 − a)]"}


@rule("own-cost-function-wrong")
def own_cost_function_wrong(case: GradientCase) -> Finding | None:
    """Gradients exactly those of the cost the file's own cost class is named for, where central
    differences of that class's function disagree: the function, not the delta, is wrong."""
    net, setting = case.net, case.net.found.cost_setting
    if not net.found.own_cost or setting not in FORMULAS or not case.equal_numpy_loops(cost=setting):
        return None
    a, target = np.full((net.found.n_out, 1), 0.75), np.eye(net.found.n_out)[:, [0]]
    theirs, book = net.own_example_cost(a, target), COSTS[setting][0](a[:, 0], target[:, 0])
    function = net.found.own_cost.owner
    return Finding(
        "own-cost-function-wrong",
        f": they are exactly the gradients of the {setting.replace('_', '-')} cost, {FORMULAS[setting]} "
        f"(numpy_loop's), so the output delta is right and {function} is not that cost: at a = 0.75 "
        f"everywhere, y = the digit 0, it gives {theirs:.4g} where {FORMULAS[setting]} is {book:.4g}; "
        f"look for a sign or a term that differs in {function}",
    )


def where_wrong(code: str, words: str, applies) -> Callable[[GradientCase], Finding | None]:
    """A diagnosis from which arrays are wrong alone: `applies(case)` says whether it explains them."""

    def diagnosis(case: GradientCase) -> Finding | None:
        return Finding(code, words) if case.wrong and applies(case) else None

    diagnosis.code, diagnosis.what = code, words.lstrip(":. ")
    return diagnosis


GRADIENT_DIAGNOSES = (  # the first that explains what check 1 found wins
    doubled_cost,
    biases_left_out,
    cross_entropy_delta,
    own_cost_function_wrong,
    where_wrong(
        "output-error-sign",
        ": the output error is probably (y - a), not (a - y)",
        lambda c: c.every_array and all(w.problem.code == "sign-flipped" for w in c.wrong),
    ),
    where_wrong(
        "hidden-delta",
        ". The output layer is right: look at the delta sent back to the hidden layer, "
        "(W^T delta) times σ'(z)",
        lambda c: c.bad() <= set(c.names[:-2]),
    ),
    where_wrong(
        "bias-gradient",
        ". The weights are right: the bias gradient should be delta itself",
        lambda c: all(k % 2 == 1 for k in c.bad_indices()),
    ),
    where_wrong(
        "weight-gradient",
        ". The biases are right: a weight gradient is delta times the previous layer's activation, a^T",
        lambda c: all(k % 2 == 0 for k in c.bad_indices()),
    ),
    where_wrong(
        "output-delta",
        ". The output layer is wrong: its delta is (a - y) times σ'(z), with σ' taken of z, not of a",
        lambda c: set(c.names[-2:]) <= c.bad(),
    ),
)


def summary(wrong: list[Wrong], names: list[str], what: str) -> str:
    """The wrong arrays in words: 'every array has its sign flipped' when all share one problem."""
    if len(wrong) == len(names) and len({w.kind for w in wrong}) == 1:
        return f"every {what} {wrong[0].problem}"
    return "; ".join(map(str, wrong))


def stepped(net: YourNetwork, placed, params) -> list[np.ndarray]:
    """How far one update_mini_batch of the placed examples moves each array from params."""
    net.set_parameters(params)
    net.update(list(zip(placed[0], net.targets(placed[1]))), UPDATE_ETA)
    moved = [p1 - p0 for p0, p1 in zip(params, net.parameters())]
    net.set_parameters(params)
    return moved


@dataclass(frozen=True)
class Factor:
    """A result `times(n)` the book's, which means what `words` say: n is the training-set size."""

    code: str
    times: Callable[[int], float]
    words: str


def explained_factor(factors: list[float], table: tuple[Factor, ...], n: int) -> Finding | None:
    """The first entry of the table that every factor equals (to 1e-3 of it, or of 1 near 0)."""
    for entry in table:
        expected = entry.times(n)
        if factors and all(abs(t - expected) <= 1e-3 * max(abs(expected), 1.0) for t in factors):
            return Finding(entry.code, entry.words, facts={"factor": expected})
    return None


UPDATE_FACTORS = (  # one update's step against -(eta/m)·Σ gradients
    Factor(
        "no-division-by-m",
        lambda n: UPDATE_M,
        "the step is m times too large, so the division by len(mini_batch) is missing",
    ),
    Factor(
        "divided-by-m-twice",
        lambda n: 1 / UPDATE_M,
        "the step is m times too small, so it is divided by len(mini_batch) twice",
    ),
    Factor("eta-twice", lambda n: UPDATE_ETA, "the step is eta times too small, so eta is applied twice"),
    Factor("step-uphill", lambda n: -1.0, "the step goes uphill; subtract eta/m times the gradient"),
)
DECAY_FACTORS = (  # the L2 term's weight decay against the book's -(eta·lmbda/n)·w
    Factor("l2-missing", lambda n: 0.0, "lmbda does not change the weights: the L2 term is missing"),
    Factor(
        "l2-per-example",
        lambda n: UPDATE_M,
        "the weights decay m times as much as the book's: the L2 term is applied once per example, "
        "inside the loop over the mini-batch; apply (1 - eta*(lmbda/n))*w once per mini-batch, after it",
    ),
    Factor(
        "l2-twice",
        lambda n: 2.0,
        "the weights decay twice as much as the book's: the L2 term is applied twice, e.g. in the "
        "gradients and again in the update",
    ),
    Factor(
        "l2-over-m",
        lambda n: n / UPDATE_M,
        "the weights decay n/m times as much as the book's: the L2 term divides lmbda by "
        "len(mini_batch) where the book divides it by n, the training-set size",
    ),
    Factor(
        "l2-without-n",
        lambda n: n,
        "the weights decay n times as much as the book's: it has lmbda where the book has lmbda/n",
    ),
    Factor(
        "l2-without-eta",
        lambda n: 1 / UPDATE_ETA,
        "the weights decay 1/eta times as much as the book's: eta is left out of the L2 term",
    ),
    Factor(
        "l2-sign", lambda n: -1.0, "the weights grow where they should shrink: the L2 term's sign is flipped"
    ),
)


def check_update(net: YourNetwork, data) -> tuple[bool, str]:
    """2: one update_mini_batch of m examples against -(eta/m) times the sum of its own gradients;
    then, where it takes network2's lmbda, its weight decay at chapter 3's lmbda."""
    params = init_params(layer_sizes(HIDDEN), seed=0)
    x, y = data.train_x[:UPDATE_M], data.train_y[:UPDATE_M]
    placed = net.place(x, y)
    summed = net.gradients(*placed)
    net.set_parameters(params)
    moved = stepped(net, placed, params)
    names = [name.replace("nabla_", "") for name in array_names(len(params) // 2)]
    decay = (
        UPDATE_ETA * net.found.lmbda / net.found.n_train
    )  # network2's L2: w <- (1 - eta·lmbda/n) w - (eta/m)·Σ∇w
    expected = [
        -(UPDATE_ETA / UPDATE_M) * g - (decay * p if k % 2 == 0 else 0)
        for k, (g, p) in enumerate(zip(summed, params))
    ]
    factors, wrong, worst = [], [], 0.0
    for name, got, want in zip(names, moved, expected):
        relative, problem = diagnose(got, want)
        worst = max(worst, relative)
        if problem:
            wrong.append(Wrong(name, problem))
            factors.append(factor_of(got, want))
    source_ = "its own backprop" if net.found.names["backprop"] else "its one-example updates"
    setting = f"m={UPDATE_M}, eta={UPDATE_ETA}" + (
        f", lmbda={net.found.lmbda:g}, n={net.found.n_train}" if net.found.lmbda else ""
    )
    if wrong:
        why = explained_factor(factors, UPDATE_FACTORS, net.found.n_train)
        why = f": {why}" if why else updated_per_example(net, placed, y, params, moved) or ""
        found = summary(wrong, names, "weight and bias update")
        return (
            False,
            f"update_mini_batch against -(eta/m)·Σ gradients from {source_} ({setting}): {found}{why}",
        )
    line = f"update_mini_batch equals -(eta/m)·Σ gradients from {source_} ({setting}): relative error"
    line += f" {worst:.1e}"
    if net.found.plans["update_mini_batch"].lmbda is None or net.found.lmbda:
        return True, line
    passed, l2_line = check_weight_decay(net, placed, x, params, moved)
    return passed, f"{line}; {l2_line}" if passed else l2_line


def check_weight_decay(net: YourNetwork, placed, x, params, unregularised) -> tuple[bool, str]:
    """The L2 part of one update: its step at chapter 3's lmbda less its step without L2, against the
    book's -(eta·lmbda/n)·w on the weights and nothing on the biases (or the same on the biases, a
    convention chapter 3 allows). How many times the book's decay
    it is comes from the first layer's weights on pixels that are blank in every example, which no
    gradient moves, so it holds wherever in the loop the decay is applied."""
    with net.regularised(L2_LMBDA):
        regularised = stepped(net, placed, params)
    shrink = UPDATE_ETA * L2_LMBDA / net.found.n_train
    setting = f"lmbda={L2_LMBDA:g}, n={net.found.n_train}, m={UPDATE_M}, eta={UPDATE_ETA}"
    decays = [r - u for r, u in zip(regularised, unregularised)]
    expected = [-shrink * p if k % 2 == 0 else np.zeros_like(p) for k, p in enumerate(params)]
    error = relative_error(decays, expected)
    if error < L2_TOLERANCE:
        return True, f"its L2 term ({setting}) shrinks the weights by eta·lmbda/n: relative error {error:.1e}"
    if relative_error(decays, [-shrink * p for p in params]) < L2_TOLERANCE:
        return True, (
            f"its L2 term ({setting}) shrinks the weights by eta·lmbda/n, and the biases too, which the book "
            "leaves out: a convention that changes little, chapter 3 says"
        )
    blank = ~np.any(x != 0, axis=0)
    times = factor_of(decays[0][:, blank], expected[0][:, blank])
    against = f"its L2 term ({setting}) against the book's weight decay -(eta·lmbda/n)·w"
    if abs(times - 1) < 1e-3:
        return False, (
            f"{against}: the weights decay as the book's, but lmbda changes the rest of the step too "
            f"(relative error {error:.1e}); only (1 - eta*(lmbda/n))*w should depend on lmbda"
        )
    return False, f"{against}: {decay_words(times, net.found.n_train)}"


def decay_words(times: float, n: int) -> Finding:
    """What a weight decay of `times` the book's means, and where to look."""
    return explained_factor([times], DECAY_FACTORS, n) or Finding(
        "l2-other-factor",
        f"the weights decay {times:.4g} times as much as the book's (with n = {n}, the training-set size)",
    )


@rule("updated-per-example")
def updated_per_example(net: YourNetwork, placed, labels, params, moved) -> Finding | None:
    """An update made inside the loop over the mini-batch's examples: the step equals m one-example
    steps, each from the parameters the one before left."""
    for rate, said in ((UPDATE_ETA / UPDATE_M, "eta/m"), (UPDATE_ETA, "eta")):
        net.set_parameters(params)
        for xi, label in zip(placed[0], labels):
            current = net.parameters()
            step = net.gradients([xi], [label])
            net.set_parameters([p - rate * g for p, g in zip(current, step)])
        sequential = [p1 - p0 for p0, p1 in zip(params, net.parameters())]
        net.set_parameters(params)
        if same(moved, sequential):
            return Finding(
                "updated-per-example",
                f": the parameters are updated inside the loop over the mini-batch's examples (by {said} "
                "times each example's gradient), so each gradient is taken where the one before moved "
                "them; sum the gradients over the mini-batch first, then update once with -(eta/m)·Σ",
            )
    return None


def reference_settings(net: YourNetwork) -> tuple[dict | None, str]:
    """numpy_loop's settings for the learner's cost and lmbda, or None and why it cannot have them."""
    accepts = inspect.signature(NumpyLoop).parameters
    setting, settings = net.found.cost_setting, {}
    if setting != "quadratic":
        if setting is None:
            return None, f"your cost ({net.found.cost_name}) is none the project implements"
        if "cost" not in accepts:
            return (
                None,
                f"numpy_loop has no {net.found.own_cost.words} cost yet (only the book's quadratic)",
            )
        settings["cost"] = setting
    if net.found.lmbda:
        if "lmbda" not in accepts:
            return None, "numpy_loop has no L2 regularisation (lmbda) yet"
        settings["lmbda"] = net.found.lmbda
    return settings, ""


def check_steps(net: YourNetwork, data) -> tuple[bool | None, str]:
    """3: the first 20 mini-batches of epoch 1 against numpy_loop under the same cost and lmbda,
    from the same start; None (skipped) where numpy_loop lacks the learner's cost."""
    settings, why = reference_settings(net)
    setting = f"{STEPS} mini-batches of {BATCH}, eta {ETA}, float64"
    setting += "".join(f", {k} {v}" for k, v in (settings or {}).items())
    if settings is None:
        return None, f"the first steps against numpy_loop's: skipped, because {why}"
    params = init_params(layer_sizes(HIDDEN), seed=0)
    order = epoch_order(0, 1, len(data.train_y))[: STEPS * BATCH]
    reference = NumpyLoop(params, data.train_x, data.train_y, dtype="float64", **settings)
    reference.train_epoch(order, BATCH, ETA)
    net.set_parameters(params)
    net.train_epoch(order, BATCH, ETA)
    difference = max(float(np.abs(a - b).max()) for a, b in zip(net.parameters(), reference.parameters()))
    scale = max(float(np.abs(p).max()) for p in reference.parameters())
    net.set_parameters(params)
    verdict = f"largest difference {difference:.1e} (parameters up to {scale:.1f})"
    if difference <= 1e-8 * scale:
        return True, f"the first steps equal numpy_loop's from the same start ({setting}): {verdict}"
    return False, f"the first steps differ from numpy_loop's from the same start ({setting}): {verdict}"


def check_epoch(options: dict, data) -> tuple[bool, str, YourNetwork, float]:
    """4: one epoch in the benchmark's setting, timed as the harness times it."""
    net = build(options, data, "float32")
    with env.pinned_threads(1), harness.Timer() as epoch:
        net.train_epoch(epoch_order(0, 1, len(data.train_y)), BATCH, ETA)
    accuracy = net.evaluate(*net.place(data.test_x, data.test_y)) / len(data.test_y)
    line = (
        f"one epoch of real MNIST (batch {BATCH}, eta {ETA}, float32, {epoch.seconds:.2f} s): "
        f"test accuracy {accuracy:.2%}"
    )
    if accuracy >= TARGET_ACCURACY:
        return True, line + f" (at least {TARGET_ACCURACY:.0%})", net, epoch.seconds
    return False, line + f", below {TARGET_ACCURACY:.0%}", net, epoch.seconds


def timing_table(net: YourNetwork, seconds: float, data) -> tuple[pd.DataFrame, list[str]]:
    """5: an epoch of each of the project's backends at the same settings, in this process, built
    and timed as `make perf` builds and times them, each named with the version of the library it
    runs on, whichever is installed; and a line for each left out because its library is not."""
    setting = SimpleNamespace(hidden=HIDDEN, batch_size=BATCH, eta=ETA, dtype="float32")
    order = epoch_order(0, 1, len(data.train_y))
    rows, missing = [{"backend": f"yours ({Path(net.found.module.__file__).name})", "s/epoch": seconds}], []
    for name, library in PEERS.items():
        if importlib.util.find_spec(library) is None:
            missing.append(f"{name} is not timed: {library} is not installed here (pip install {library})")
            continue
        peer = timing.build(name, 1, setting, data, "cpu")
        rows.append(
            {
                "backend": f"{name} ({library} {importlib.metadata.version(library)})",
                "s/epoch": timing.time_epoch(peer, 1, order, setting)[0],
            }
        )
    table = pd.DataFrame(rows)
    table["yours takes"] = [f"{seconds / s:.2f}×" for s in table["s/epoch"]]
    table["s/epoch"] = table["s/epoch"].map("{:.3f}".format)
    return table, missing


def dtype_note(net: YourNetwork) -> str | None:
    kinds = {as_numpy(p).dtype for p in [*net.get("weights"), *net.get("biases")]}
    if kinds != {np.dtype("float32")}:
        found = ", ".join(sorted(str(k) for k in kinds))
        return (
            f"note: after training from float32 your parameters are {found}; an array made with "
            "np.zeros(shape) or np.random.randn is float64 and upcasts the arithmetic, so yours "
            "computes in float64 where the other backends compute in float32"
        )
    return None


def chosen(net: YourNetwork) -> str:
    """The first line: the class, how it is built and which method plays each role, with what is filled in."""
    found = []
    for role, name in net.found.names.items():
        if name:
            said = net.found.plans[role].said
            found.append(
                (role if name == role else f"{role} as `{name}`")
                + (f" (filled in: {'; '.join(said)})" if said else "")
            )
    return (
        f"{net.found.file}: class {net.found.cls.__name__}, "
        + ", ".join(found)
        + f"; built as {net.found.constructor.said}"
    )


VERDICTS = {True: "PASS", False: "FAIL", None: "SKIP"}
NEEDS_UPDATE = {
    2: "one update_mini_batch against the SGD step from its own backprop",
    3: "the first steps against numpy_loop's",
    4: "one epoch of real MNIST",
}
LEFT_OUT = "left out: it needs an update_mini_batch, and the class has none (see the note)"


@dataclass
class Report:
    """What the checker said of a file: each line as it was said, and each check's verdict (True, False,
    or None for skipped), in order."""

    lines: list[str] = field(default_factory=list)
    verdicts: list[bool | None] = field(default_factory=list)
    notes: list[Finding] = field(default_factory=list)
    say: Callable[[str], None] | None = None  # told each line as it is said (print, for the command)

    def __call__(self, line: str):
        self.lines.append(line)
        if self.say:
            self.say(line)

    def verdict(self, number: int, passed: bool | None, line: str):
        self.verdicts.append(passed)
        self(f"{VERDICTS[passed]} {number}. {line}")

    @property
    def exit_code(self) -> int:
        return 1 if False in self.verdicts else 0


def check_file(path, quick: bool = False, say: Callable[[str], None] | None = None, **options) -> Report:
    """The checker run on a learner's file (options as on the command line: class_name, init, method,
    arg, param, timeout); a file that cannot be used at all raises LearnerFileError or LearnerCodeError."""
    options = {"path": str(path), "timeout": DEFAULT_TIMEOUT, **options}
    report, data = Report(say=say), load_mnist()
    try:
        net = build(options, data, "float64")
    except LearnerCodeError as e:
        if e.code != "wrong-layers":
            raise
        report.verdict(0, False, f"the network as built: {e}")
        report("the other checks are left out: each needs one weight array and one bias vector per layer")
        report("0 of 1 checks passed")
        return report
    found(net, report)
    for number, check in enumerate((check_gradient, check_update, check_steps), start=1):
        if number > 1 and net.found.update_left_out:
            report.verdict(number, None, f"{NEEDS_UPDATE[number]}: {LEFT_OUT}")
        else:
            report.verdict(number, *check(net, data))
    if not quick:
        epoch_and_timing(net, options, data, report)
    failed, skipped = report.verdicts.count(False), report.verdicts.count(None)
    ran = len(report.verdicts) - skipped
    report(f"{ran - failed} of {ran} checks passed" + (f", {skipped} skipped" if skipped else ""))
    return report


def found(net: YourNetwork, report: Report):
    """The first lines: what the checker found in the file, and each adaptation it made."""
    report.notes = [*net.found.notes, *net.found.skipped]
    report(chosen(net))
    for note in net.found.notes:
        report(f"note: {note}")
    if net.found.skipped:
        listed = "; ".join(map(str, net.found.skipped))
        report(f"skipped {len(net.found.skipped)} top-level statements (the script part): {listed}")


def epoch_and_timing(net: YourNetwork, options: dict, data, report: Report):
    """Checks 4 and 5: one epoch of real MNIST, then the epoch time beside the project's backends."""
    if net.found.update_left_out:
        report.verdicts.append(None)
        report(f"SKIP 4. {NEEDS_UPDATE[4]}: {LEFT_OUT}\n     5. timing left out: it trains an epoch too")
        return
    passed, line, trained, seconds = check_epoch(options, data)
    report.verdict(4, passed, line)
    if False in report.verdicts:
        report("     5. timing left out: fix the failing checks first")
        return
    report(
        f"     5. epoch time beside the project's backends (batch {BATCH}, hidden {HIDDEN}, float32, "
        f"1 thread, one after the other in this process):\n"
    )
    table, missing = timing_table(trained, seconds, data)
    report(markdown_table(table))
    for line in missing:
        report(f"note: {line}")
    if note := dtype_note(trained):
        report(note)


def run(options: dict, quick: bool) -> int:
    return check_file(quick=quick, say=lambda line: print(line, flush=True), **options).exit_code


def arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", help="your network.py")
    parser.add_argument("--class", dest="class_name", help="the network class, if not Network")
    parser.add_argument("--quick", action="store_true", help="checks 1 to 3 only: no full epoch, no timing")
    parser.add_argument(
        "--init",
        action="append",
        default=[],
        metavar="NAME=EXPR",
        help="a constructor argument, EXPR evaluated in your file's namespace: --init cost=QuadraticCost()",
    )
    parser.add_argument(
        "--method",
        action="append",
        default=[],
        metavar="ROLE=NAME",
        help="the method that plays ROLE (feedforward, update_mini_batch or backprop): --method backprop=bp",
    )
    parser.add_argument(
        "--arg",
        action="append",
        default=[],
        metavar="NAME=EXPR",
        help="a value for a method's extra parameter: --arg i=0",
    )
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="ROLE=NAME",
        help="the attribute that holds the weights or the biases, where the tool does not find it: "
        "--param weights=W",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"the longest any one call into your code may take (default {DEFAULT_TIMEOUT:g})",
    )
    return parser


@command
def main(argv=None) -> int:
    args = arguments().parse_args(argv)
    options = {
        "path": args.path,
        "class_name": args.class_name,
        "init": args.init,
        "method": args.method,
        "arg": args.arg,
        "param": args.param,
        "timeout": args.timeout,
    }
    return run(options, args.quick)


if __name__ == "__main__":
    sys.exit(main())
