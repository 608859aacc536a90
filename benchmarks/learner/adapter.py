"""Your own network.py, written from the book, run as a backend with no change to it.

It asks only what every such file has: a class built from the layer sizes, with
the weights ((n_out, n_in) arrays, or (n_in, n_out)) and biases kept in two lists,
a method that feeds one input column forward and one that makes the SGD step
for a list of (x, y) column pairs, and, where there is one, a backprop returning
the gradients of one example. How the file is read is loading.py's; which
methods play which role and with what arguments, roles.py's; every call into
the file runs under a time limit, bounded.py's.

Options, the same on the checker's command line and for run.py (conf/config.yaml):
`init` (constructor arguments, NAME -> a Python expression evaluated in the file's
namespace), `method` (ROLE -> the method's name), `arg` (extra method parameters,
NAME -> EXPR) and `timeout` (seconds any one call may take). A network2-style file
keeps its cost in `self.cost`; its `fn(a, y)` is the cost this backend reports.
"""

import copy
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..fairness import init_params, layer_sizes
from ..findings import Finding, LearnerCodeError, LearnerFileError
from ..places import Place
from . import parameters
from .bounded import Bounded
from .loading import EXAMPLE, learner_source_files, load_definitions, resolve
from .roles import (
    ETA_NAMES,
    HYDRA,
    Spelling,
    adopt_top_level_methods,
    find_class,
    find_methods,
    line_of,
    methods_of,
    parsed_options,
    plan_call,
    plan_constructor,
)

DEFAULT_TIMEOUT = 120.0
COST_ATTRIBUTES = ("fn", "cost", "loss", "function", "value")

__all__ = ["EXAMPLE", "LearnerCodeError", "LearnerFileError", "YourNetwork", "resolve"]


def described(value) -> str:
    if value is None:
        return "None"
    if parameters.is_array(value):
        return f"an array of shape {tuple(value.shape)}"
    if isinstance(value, list | tuple):
        return f"a {type(value).__name__} of {len(value)}"
    return f"a {type(value).__name__}"


def cost_words(name: str) -> tuple[str, str | None]:
    """The cost a class or function name means, in words and as the project's `cost` setting."""
    key = name.lower().replace("_", "").replace("-", "")
    if "entropy" in key:
        return "cross-entropy", "cross_entropy"
    if "quadratic" in key or "mse" in key or "squared" in key:
        return "quadratic", "quadratic"
    if "likelihood" in key:
        return "log-likelihood", None
    return name, None


@dataclass(frozen=True)
class Examples:
    """How a method takes each example: x as the book's (784, 1) column or flat, (784,); y as the
    book's one-hot (10, 1) column, flat, (10,), or the digit's label, an int."""

    x: str = "column"
    y: str = "column"
    code: str = "book-examples"

    def pair(self, x, y) -> tuple:
        """The book's (column x, one-hot column y) in this form; y None for feedforward's x alone."""
        shapes = {"flat": (-1,), "row": (1, -1)}  # the book's columns are passed as they are
        if y is not None and self.y == "label":
            y = int(np.argmax(parameters.as_numpy(y)))
        elif y is not None and self.y in shapes:
            y = y.reshape(shapes[self.y])
        return (x.reshape(shapes[self.x]) if self.x in shapes else x), y

    def words(self, n_in: int, n_out: int) -> str:
        """How a method takes each example, against the book."""
        if self.y == "label":
            return f"each example's y as the digit's label (an int), not the one-hot ({n_out}, 1) column"
        if self.x == "row":
            return (
                f"each example as rows, x (1, {n_in}) and y (1, {n_out}), as its weights kept (n_in, n_out) "
                "take them, not the book's columns"
            )
        return f"each example as flat vectors, x ({n_in},) and y ({n_out},), not the book's columns"

    def may_explain(self, error: Finding) -> bool:
        """Whether the book's examples failing so may mean the method takes this form: any error but a
        time-out for flat examples; for labels, an error of code that indexes with y (e[y] = 1.0)."""
        if error.code == "timed-out":
            return False
        if self.y != "label":
            return True
        return error.facts.get("error") in ("IndexError", "TypeError") and bool(
            re.search("indices|index|integer", error.facts.get("message", ""))
        )


BOOK = Examples()
OTHER_FORMS = (Examples("flat", "flat", "flat-examples"), Examples("column", "label", "label-examples"))
# forms every method takes at once, tried where feedforward fails on the book's column: (n_in, n_out) weights
LAYOUT_FORMS = (Examples("row", "row", "row-examples"),)


@dataclass
class Layout:
    """How the learner's network lays out what the harness passes and reads: weights as (n_out, n_in) or
    transposed, biases as columns, rows or flat, arrays of NumPy or torch (like `example`), and the
    examples of each role as its method takes them (all as rows, for weights kept (n_in, n_out))."""

    transposed: bool
    bias_shape: tuple
    example: object
    forms: dict = field(
        default_factory=lambda: dict.fromkeys(("feedforward", "backprop", "update_mini_batch"), BOOK)
    )

    def pair(self, role: str, x, y) -> tuple:
        return self.forms[role].pair(x, y)

    def weights(self, w):
        """A weight array turned between the harness's (n_out, n_in) and the learner's layout."""
        return w.T if self.transposed else w

    def bias(self, b):
        column = (-1, 1) if self.bias_shape[1:] == (1,) else (1, -1) if len(self.bias_shape) == 2 else (-1,)
        return b.reshape(column)

    def like(self, array):
        return parameters.like(array, self.example)


@dataclass
class Request:
    """What a YourNetwork is built from: the harness's parameters and data, and the user's options."""

    params: list
    train_x: object
    train_y: object
    dtype: str
    path: object
    class_name: str | None
    init: object
    method: object
    arg: object
    timeout: float | None
    param: object
    spelling: Spelling
    cost: str | None
    lmbda: float
    without_update: bool


@dataclass(frozen=True)
class OwnCost:
    """A cost the file keeps in `self.cost`, as network2.py does: its function of (a, y)."""

    function: object
    owner: str  # as the file names it: 'CrossEntropyCost.fn'
    words: str  # the cost it is, in words: 'cross-entropy'
    setting: str | None  # the project's `cost` setting for it, where there is one

    @property
    def name(self) -> str:
        return f"{self.words}, from your {self.owner}"


@dataclass
class Found:
    """What the stages found in the learner's file, filled in as they run: what the checks read."""

    file: str = ""
    module: object = None
    cls: type | None = None
    notes: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    names: dict = field(default_factory=dict)  # role -> the method that plays it, or None
    update_left_out: str | None = None  # why the update is not checked, where it is not
    backprop_left_out: str | None = None
    plans: dict = field(default_factory=dict)  # role -> how its method is called
    constructor: object = None
    n_out: int = 0
    n_layers: int = 0
    lmbda: float = 0.0
    n_train: int = 0
    own_cost: OwnCost | None = None

    @property
    def cost_name(self) -> str:
        return self.own_cost.name if self.own_cost else "quadratic, ½‖a − y‖² as in the book"

    @property
    def cost_setting(self) -> str | None:
        return self.own_cost.setting if self.own_cost else "quadratic"


class YourNetwork:
    """The harness's interface over a learner's Network, which keeps its own arrays and code. Built by
    STAGES, in order, each filling in `found` (what the next and the checks read) and the machinery
    that calls the learner's code."""

    devices = ("cpu",)
    framework = "numpy"

    def __init__(
        self,
        params,
        train_x,
        train_y,
        device="cpu",
        dtype="float32",
        path=None,
        class_name=None,
        init=None,
        method=None,
        arg=None,
        timeout=DEFAULT_TIMEOUT,
        param=None,
        spelling: Spelling = HYDRA,
        cost: str | None = "quadratic",
        lmbda=0.0,
        without_update=False,
        **settings,  # the run's output, activation, momentum...: the file's own code decides (unsupported)
    ):
        request = Request(
            params, train_x, train_y, dtype, path, class_name, init, method, arg, timeout, param, spelling,
            cost, lmbda, without_update,
        )  # fmt: skip
        self.found = Found()
        for stage in STAGES:
            stage(self, request)

    def read_file(self, request: Request):
        """The file loaded and its network class found."""
        self.dtype = np.dtype(request.dtype)
        timeout = DEFAULT_TIMEOUT if request.timeout is None else request.timeout
        self.spelling = request.spelling
        self.loaded = load_definitions(request.path, timeout, self.spelling.timeout)
        self.found.cls = find_class(self.loaded, request.class_name)  # its note among the file's
        self.found.module, self.found.skipped, self.found.notes = (
            self.loaded.module,
            self.loaded.skipped,
            list(self.loaded.notes),
        )
        self.found.file, self.source_map = self.loaded.path.name, self.loaded.source_map
        self.bounded = Bounded(
            self.loaded.path.parent,
            timeout,
            self.loaded.failed_imports,
            self.spelling.timeout,
            self.source_map,
        )
        if adopted := adopt_top_level_methods(self.found.cls, self.loaded):
            self.found.notes.append(adopted)

    def find_roles(self, request: Request):
        """Which method plays each role; a class without an update is checked on its backprop alone."""
        self.found.names = find_methods(
            self.found.cls,
            self.loaded,
            parsed_options(request.method, "method", self.spelling),
            self.spelling,
        )
        self.found.update_left_out, self.found.backprop_left_out = None, None
        if not self.found.names["update_mini_batch"]:
            self.leave_out_update(request.without_update)

    def plan_calls(self, request: Request):
        """How each role's method and the constructor are called; --arg values every method leaves unused
        are refused."""
        arguments = self.evaluated(parsed_options(request.arg, "arg", self.spelling), "arg")
        filled = {"lmbda": float(request.lmbda), "n": len(request.train_y)}
        self.found.plans = {}
        for role, name in self.found.names.items():
            if not name:
                continue
            try:
                self.found.plans[role] = plan_call(
                    self.found.cls, self.loaded, role, name, arguments, filled, self.spelling
                )
            except LearnerFileError as e:
                if role != "backprop" or e.code != "fewer-arguments":
                    raise
                self.leave_out_backprop(e.finding.found)
        if unused := [
            name for name in arguments if not any(name in p.filled for p in self.found.plans.values())
        ]:
            methods = ", ".join(p.name for p in self.found.plans.values())
            option = self.spelling.option("arg", [(name, str(arguments[name])) for name in unused])
            raise LearnerFileError(
                Finding(
                    "unused-arg",
                    f"{option}: none of the methods the tool calls ({methods}) has a parameter "
                    f"{', '.join(unused)} without a default; leave it out",
                )
            )
        given = parsed_options(request.init, "init", self.spelling)
        self.found.constructor = plan_constructor(self.found.cls, self.loaded, given, self.spelling)
        self.found.notes += self.found.constructor.notes

    def build(self, request: Request):
        """The learner's network, built at the harness's layer sizes."""
        params = request.params
        sizes = [params[0].shape[1]] + [w.shape[0] for w in params[0::2]]
        self.found.n_out, self.found.n_layers = sizes[-1], len(sizes) - 1
        keywords = self.evaluated(self.found.constructor.keywords, "init")
        self.net = self.bounded.call(
            f"{self.found.cls.__name__}'s constructor",
            self.found.cls,
            *self.found.constructor.arguments(sizes),
            at=line_of(self.found.cls, "__init__"),
            **keywords | self.found.constructor.keyword_sizes(sizes),
        )

    def find_parameters(self, request: Request):
        """Where the network keeps its weights, biases and eta, and the harness's values set there."""
        self.find_parameter_lists(request.params, parsed_options(request.param, "param", self.spelling))
        self.find_kept_eta()
        self.set_parameters(request.params)
        update = self.found.plans.get("update_mini_batch")
        self.found.lmbda = (update.lmbda if update else None) or 0.0
        self.found.n_train = len(request.train_y)
        self.found.own_cost = self.find_cost()

    def read_examples(self, request: Request):
        """The training examples as the book's (column, one-hot column) pairs, then as the update takes
        them once probe has found how."""
        self.swapped = False
        self.train_pairs = list(zip(self.columns(request.train_x), self.targets(request.train_y)))
        self.probe(request.cost)
        self.train_pairs = [self.layout.pair("update_mini_batch", x, y) for x, y in self.train_pairs]

    def probe(self, cost: str | None):
        """One example through feedforward and backprop, so that what cannot work is said now, not
        mid-check: weights kept as (n_in, n_out) for inputs as rows, a result of the wrong shape, or a
        run's `cost` that is not the file's."""
        x, y = self.train_pairs[0]
        self.probe_feedforward(x)
        if self.found.names["backprop"]:
            try:
                with np.errstate(all="ignore"):  # a backprop called with what it does not expect
                    self.tried("backprop", lambda: self.backprop_step(x, y))
            except LearnerCodeError as e:
                if e.code != "not-gradients" and self.found.plans["backprop"].as_book:
                    raise
                self.leave_out_backprop(e.finding.found)  # (activations, deltas) for its update to combine
        if self.found.names["update_mini_batch"]:
            self.probe_update(x, y)
        if mismatch := self.cost_mismatch(cost):
            raise LearnerFileError(mismatch)

    def probe_feedforward(self, x):
        """One example through feedforward; where it fails on the book's column and the weights are kept
        (n_in, n_out), each of LAYOUT_FORMS for every method, the first that feedforward takes kept with a
        note; one line where none is."""
        try:
            self.forward([x])
            return
        except LearnerCodeError as e:
            if not self.layout.transposed:
                raise
            error = e.finding.found
        for form in LAYOUT_FORMS:
            self.layout.forms = dict.fromkeys(self.layout.forms, form)
            try:
                self.forward([x])
            except LearnerCodeError:
                continue
            words = form.words(self.shapes[0][1], self.found.n_out)
            words = f"{self.found.cls.__name__} takes {words} (with the book's, {error})"
            self.found.notes.append(
                Finding(form.code, f"{words}: given so to every method", self.at("feedforward"))
            )
            return
        self.layout.forms = dict.fromkeys(self.layout.forms, BOOK)
        shape, at = tuple(np.shape(self.get("weights")[0])), self.at("feedforward")
        raise LearnerFileError(
            Finding(
                "weights-for-rows",
                f"{at}: {self.found.cls.__name__} keeps its weights as (n_in, n_out), {shape}, and "
                f"{self.found.names['feedforward']} fails on an input column of shape {x.shape} ({error}) "
                "and on a row; the tool needs each example a column, or a row for such weights",
                at,
            )
        ) from None

    def tried(self, role: str, attempt):
        """attempt() with the role's examples as the book's; where the method raises or returns what
        cannot be used, again with each other form in turn that the error allows, which becomes the role's
        with a note; the book's error where none works."""
        kept = self.layout.forms[role]
        try:
            return attempt()
        except LearnerCodeError as e:
            if e.code == "not-gradients":
                raise
            for form in (f for f in OTHER_FORMS if f.may_explain(e.finding)):
                self.layout.forms[role] = form
                try:
                    result = attempt()
                except LearnerCodeError:
                    continue
                words = form.words(self.shapes[0][1], self.found.n_out)
                self.found.notes.append(
                    Finding(
                        form.code,
                        f"{self.found.names[role]} takes {words} "
                        f"(with the book's, {e.finding.found}): given so",
                        e.finding.place,
                    )
                )
                return result
            self.layout.forms[role] = kept
            raise e from None

    def probe_update(self, x, y):
        """One update of one example, on a copy of the network, so that an update written for flat
        examples or labels is told now; an error it raises in every form is told by the checks."""
        kept = self.net
        try:
            self.net = copy.deepcopy(kept)
        except Exception:  # noqa: BLE001 - a network that cannot be copied is not probed
            return
        try:
            with np.errstate(all="ignore"):
                self.tried("update_mini_batch", lambda: self.updated([(x, y)], 1.0))
        except LearnerCodeError:
            pass
        finally:
            self.net = kept

    def updated(self, pairs, eta):
        self.update(pairs, eta)
        return self.parameters()

    def update(self, pairs, eta):
        """update_mini_batch of the book's (column, one-hot column) pairs, each in the form it takes."""
        return self.call(
            "update_mini_batch", [self.layout.pair("update_mini_batch", x, y) for x, y in pairs], eta
        )

    def leave_out_update(self, allowed: bool):
        """A class with a backprop but no update_mini_batch (it updates inline, in its SGD loop): the
        checker runs check 1 alone, with a note; a run, which trains through it, is refused."""
        methods = ", ".join(methods_of(self.found.cls)) or "none"
        missing = f"class {self.found.cls.__name__} has no update_mini_batch method that the tool recognises"
        option = self.spelling.option("method", [("update_mini_batch", "NAME")])
        at = self.at()
        if not allowed:
            raise LearnerFileError(
                Finding("no-update", f"{at}: {missing} (its methods: {methods}); name it: {option}", at)
            )
        self.found.update_left_out = f"{missing} (its methods: {methods})"
        self.found.notes.append(
            Finding(
                "update-left-out",
                f"{self.found.update_left_out}: the checks that call it (2 to 5) are left out, and check 1 "
                f"runs on {self.found.names['backprop']} alone; if one is the update, name it: {option}",
                at,
            )
        )

    def leave_out_backprop(self, why: str):
        """A backprop that cannot be called as the book's backprop(x, y) is not used: each check that
        needs gradients makes them from one-example updates instead, and a note says why."""
        name = self.found.names["backprop"]
        at = self.at("backprop")
        self.found.names["backprop"] = None
        self.found.plans.pop("backprop", None)
        self.found.backprop_left_out = f"{name} is not the book's backprop(x, y) ({why})"
        if self.found.update_left_out:
            raise LearnerFileError(
                Finding(
                    "neither-update-nor-backprop",
                    f"{self.at()}: {self.found.update_left_out}, and {self.found.backprop_left_out}; "
                    "the tool needs one of them: "
                    f"{self.spelling.option('method', [('update_mini_batch', 'NAME')])}",
                    self.at(),
                )
            )
        self.found.notes.append(
            Finding(
                "backprop-left-out",
                f"{self.found.backprop_left_out}: left out; the gradients come from one-example updates of "
                f"{self.found.names['update_mini_batch']} instead (--method backprop=NAME names another)",
                at,
            )
        )

    def cost_mismatch(self, cost: str | None) -> Finding | None:
        if cost and self.found.cost_setting and cost != self.found.cost_setting:
            return Finding(
                "cost-mismatch",
                f"cost={cost}, but {self.found.file} computes the {self.found.cost_name}; "
                f"set cost={self.found.cost_setting}, so that the results name the cost your file computes",
            )
        return None

    @staticmethod
    def unsupported(
        output="sigmoid", activation="sigmoid", momentum=0.0, cost="quadratic", options=None, **settings
    ) -> str | None:
        """The run's settings that the file's own code decides, set to anything but chapter 1's, or a
        `cost` that is not the file's own (`options`: the backend's, which name the file)."""
        changed = [
            f"{k}={v}"
            for k, v, default in (
                ("output", output, "sigmoid"),
                ("activation", activation, "sigmoid"),
                ("momentum", momentum, 0.0),
            )
            if v != default
        ]
        if changed:
            return (
                f"{', '.join(changed)}: your network.py runs its own output layer, activation and update; "
                "leave these at their defaults (lmbda fills network2's lmbda, cost names your file's cost)"
            )
        if not options:
            return None
        options = dict(options)
        net = YourNetwork.built_for_checks(options.pop("timeout", None), **options)
        found = net.found
        if settings.get("lmbda") and found.plans["update_mini_batch"].lmbda is None:
            return (
                f"lmbda={settings['lmbda']:g}, but {found.file}'s {found.names['update_mini_batch']} "
                "takes no L2 parameter; leave lmbda at 0 for a chapter-1 file"
            )
        mismatch = net.cost_mismatch(cost)
        return mismatch and mismatch.words

    @staticmethod
    def check_options(
        path=None, class_name=None, init=None, method=None, arg=None, param=None, timeout=DEFAULT_TIMEOUT
    ):
        """Raise LearnerFileError or LearnerCodeError, before any run, when the file cannot be used
        (the run's cost is checked against the file's when the run builds it)."""
        YourNetwork.built_for_checks(
            timeout, path=path, class_name=class_name, init=init, method=method, arg=arg, param=param
        )

    @staticmethod
    def built_for_checks(timeout, **options) -> "YourNetwork":
        """The file's network at chapter 1's sizes on one blank example: what a run would build."""
        params = init_params(layer_sizes(30), seed=0)
        x, y = np.zeros((1, params[0].shape[1])), np.zeros(1, dtype=int)
        return YourNetwork(params, x, y, timeout=timeout, cost=None, **options)

    def evaluated(self, values: dict, option: str) -> dict:
        """Each string a Python expression evaluated in the file's namespace; other values as given."""
        namespace = vars(self.found.module)
        return {
            name: self.bounded.call(f"{option} {name}={value}", eval, value, namespace)
            if isinstance(value, str)
            else value
            for name, value in values.items()
        }

    def source_files(self) -> list[Path]:
        return learner_source_files(self.found.module)

    def call(self, role, *values):
        plan = self.found.plans[role]
        if plan.kept_eta:
            setattr(self.net, plan.kept_eta, values[1])
        method = getattr(self.net, plan.name)
        return self.bounded.call(
            plan.name, method, *plan.arguments(*values), at=line_of(self.found.cls, plan.name)
        )

    def at(self, role: str | None = None) -> Place:
        """Where the role's method (or, without a role, the class) is defined."""
        return self.at_method(self.found.names[role] if role else None)

    def at_method(self, method: str | None) -> Place:
        return self.source_map.at(line_of(self.found.cls, method))

    def find_parameter_lists(self, params, pointed: dict[str, str]):
        """Where the net keeps one array per layer shaped like the weights and like the biases
        (parameters.py); one line naming the `param` option where it keeps them nowhere the tool looks."""
        weights = [w.shape for w in params[0::2]]
        sizes = [b.size for b in params[1::2]]
        self.places = parameters.find(self.net, weights, sizes, pointed)
        for what in ("weights", "biases"):
            if what in self.places:
                continue
            self.refuse_miscounted(what, weights, sizes)
            expected = ", ".join(str(s) for s in (weights if what == "weights" else [(n, 1) for n in sizes]))
            listed = ", ".join(vars(self.net)) or "none"
            looked = f"in self.{pointed[what]}" if what in pointed else "in any of its attributes"
            at = self.at_method("__init__")
            raise LearnerFileError(
                Finding(
                    "no-parameters",
                    f"{at}: {self.found.cls.__name__} keeps no {what} shaped {expected} "
                    f"{looked} (its attributes: {listed}) after it is built, nor in lists, tuples, dicts or "
                    f"objects inside them; the tool needs one array per layer, found by its shape; if they "
                    f"are there, name the attribute: {self.spelling.option('param', [(what, 'NAME')])}",
                    at,
                )
            )
        own_b = self.get("biases")[0]
        self.layout = Layout(
            self.places["weights"].transposed, tuple(np.shape(own_b)), self.get("weights")[0]
        )

    def refuse_miscounted(self, what: str, weights: list[tuple], sizes: list[int]):
        """A refusal, coded wrong-layers, where the attribute named for the role (self.weights, self.w...)
        holds a list of arrays each shaped like one of the layers' but not one per layer."""
        expected = weights if what == "weights" else [(n, 1) for n in sizes]
        fits = (
            (lambda shape: shape in weights or shape[::-1] in weights)
            if what == "weights"
            else (lambda shape: any(shape in ((n, 1), (1, n), (n,)) for n in sizes))
        )
        for name, value in vars(self.net).items():
            if parameters.rank(name, what) > 1 or not isinstance(value, list | tuple) or not value:
                continue
            if not all(parameters.is_array(v) for v in value):
                continue
            shapes = [tuple(v.shape) for v in value]
            if len(shapes) != len(expected) and all(fits(shape) for shape in shapes):
                built_sizes, at = [weights[0][1], *sizes], self.at_method("__init__")
                raise LearnerCodeError(
                    Finding(
                        "wrong-layers",
                        f"{at}: {self.found.cls.__name__}({built_sizes}) builds "
                        f"{len(shapes)} {what[:-1] if what == 'weights' else 'bias'} array"
                        f"{'s' if len(shapes) != 1 else ''} for its {len(expected)} layers: "
                        f"self.{name} holds {', '.join(map(str, shapes))}, where the book's holds one per "
                        f"layer, {', '.join(map(str, expected))}; look at the zip that makes self.{name} "
                        f"(the book's: zip(sizes[:-1], sizes[1:]))",
                        at,
                    )
                )

    def find_kept_eta(self):
        """For an update_mini_batch(mini_batch) without eta: the attribute the constructor keeps it in
        (self.eta, self.learning_rate, ...), which each call sets; one line where there is none."""
        plan = self.found.plans.get("update_mini_batch")
        if plan is None or plan.kept_eta is None:
            return
        kept = [
            name
            for name, value in vars(self.net).items()
            if name.lower().lstrip("_") in ETA_NAMES and isinstance(value, int | float)
        ]
        if not kept:
            at = self.at("update_mini_batch")
            raise LearnerFileError(
                Finding(
                    "no-kept-eta",
                    f"{at}: {plan.name}(mini_batch) takes no eta, and "
                    f"{self.found.cls.__name__} keeps none that the tool recognises "
                    f"(self.eta, self.learning_rate, ...); name the method that takes one: "
                    f"{self.spelling.option('method', [('update_mini_batch', 'NAME')])}",
                    at,
                )
            )
        plan.kept_eta = kept[0]
        plan.said.append(f"eta set as self.{kept[0]} before each call")

    def get(self, what) -> list:
        return [parameters.read(self.net, path) for path in self.places[what].paths]

    def put(self, what, arrays):
        for path, array in zip(self.places[what].paths, arrays):
            self.net = parameters.written(self.net, path, array)

    def set_parameters(self, params):
        """Weights as given and biases as columns, in the shapes and the kind of array (NumPy's or
        torch's) the learner's constructor made (some files keep weights as (n_in, n_out) or biases as
        flat vectors)."""
        own_w, own_b = self.get("weights")[0], self.get("biases")[0]
        self.shapes = [p.shape for p in params]
        self.layout.example, self.layout.bias_shape = own_w, tuple(np.shape(own_b))
        weights = [self.layout.weights(w).astype(self.dtype) for w in params[0::2]]
        biases = [self.layout.bias(b).astype(self.dtype) for b in params[1::2]]
        self.put("weights", [self.layout.like(w) for w in weights])
        self.put("biases", [parameters.like(b, own_b) for b in biases])

    def columns(self, x):
        rows = np.asarray(x, dtype=self.dtype)
        return self.each_column(rows.reshape(len(rows), rows[0].size if len(rows) else 0, 1))

    def targets(self, labels):
        return self.each_column(
            np.eye(self.found.n_out, dtype=self.dtype)[np.asarray(labels, dtype=int)][:, :, None]
        )

    def each_column(self, stacked: np.ndarray) -> list:
        """The (n, k, 1) array's n columns, each (k, 1) and of the kind of array the learner keeps."""
        if parameters.is_torch(self.layout.example):
            return [self.layout.like(column) for column in stacked]
        return list(stacked)

    def place(self, x, y):
        return self.columns(x), list(y)

    @contextmanager
    def regularised(self, lmbda: float):
        """update_mini_batch called with this value for its L2 parameter, inside the block."""
        plan, kept = self.found.plans["update_mini_batch"], self.found.lmbda
        self.found.plans["update_mini_batch"], self.found.lmbda = plan.with_lmbda(lmbda), float(lmbda)
        try:
            yield
        finally:
            self.found.plans["update_mini_batch"], self.found.lmbda = plan, kept

    def train_epoch(self, order, batch_size, eta):
        with np.errstate(over="ignore"):  # exp(-z) -> inf gives sigmoid 0, as it should
            for k in range(0, len(order), batch_size):  # train_pairs are in the form the update takes
                self.call("update_mini_batch", [self.train_pairs[i] for i in order[k : k + batch_size]], eta)

    def output(self, result) -> np.ndarray:
        """The output activations in what feedforward returned: an array, or the last of its activations."""
        if isinstance(result, list | tuple) and result:
            layers = result[0] if isinstance(result[0], list | tuple) else result
            outputs = [r for r in layers if parameters.size_of(r) == self.found.n_out]
            result = outputs[-1] if outputs else result
        if (
            result is None
            or parameters.size_of(result) != self.found.n_out
            or not np.issubdtype(parameters.as_numpy(result).dtype, np.number)
        ):
            found = f"{self.found.names['feedforward']} returned {described(result)}"
            at = self.at("feedforward")
            raise LearnerCodeError(
                Finding(
                    "feedforward-returned",
                    f"{at}: {found}; it must return the output activations, an array of shape "
                    f"({self.found.n_out}, 1)",
                    at,
                )
            )
        return parameters.as_numpy(result)

    def forward(self, x):
        with np.errstate(over="ignore"):
            return [
                self.output(self.call("feedforward", self.layout.pair("feedforward", xi, None)[0]))
                for xi in x
            ]

    def backprop_step(self, x, y) -> list[np.ndarray]:
        """[dW1, db1, ...] of one example from the learner's backprop, in the harness's orientation."""
        with np.errstate(over="ignore"):
            result = self.call("backprop", *self.layout.pair("backprop", x, y))
        nabla_w, nabla_b = self.nablas(result)
        return [
            g
            for nw, nb in zip(nabla_w, nabla_b)
            for nw, nb in [(parameters.as_numpy(nw), parameters.as_numpy(nb))]
            for g in (self.layout.weights(nw), nb.ravel())
        ]

    def not_returned(self, code: str, found: str, must: str) -> LearnerCodeError:
        """What the learner's method returned, which cannot be used: `found`, said at its definition."""
        at = self.at("backprop")
        return LearnerCodeError(
            Finding(code, f"{at}: {found}; it must return {must}", at, short=f"{at}: {found}")
        )

    def nablas(self, result) -> tuple[list, list]:
        """(nabla_w, nabla_b) in what backprop returned, taken in either order by their shapes; one line
        where it returned something else."""
        name, shape = self.found.names["backprop"], "(nabla_b, nabla_w), two lists with one array per layer"
        if not (
            isinstance(result, list | tuple)
            and len(result) == 2
            and all(isinstance(r, list | tuple) for r in result)
        ):
            raise self.not_returned("backprop-returned", f"{name} returned {described(result)}", shape)
        weights = [np.shape(w) for w in self.get("weights")]
        nabla_b, nabla_w = result
        if [np.shape(a) for a in nabla_b] == weights and [np.shape(a) for a in nabla_w] != weights:
            nabla_b, nabla_w = nabla_w, nabla_b
            if not self.swapped:
                words = f"{name} returns (nabla_w, nabla_b): taken in that order, by their shapes"
                self.found.notes.append(Finding("nablas-swapped", words, self.at("backprop")))
                self.swapped = True
        if not any(np.shape(a) in weights for a in [*nabla_b, *nabla_w]):
            found = (
                f"{name} returns arrays shaped {[np.shape(a) for a in nabla_w]}, none shaped like a layer's "
                "weights, so not (nabla_b, nabla_w)"
            )
            at = self.at("backprop")
            raise LearnerCodeError(Finding("not-gradients", f"{at}: {found}", at, short=found))
        for index, (got, want) in enumerate(zip(nabla_w, weights)):
            if np.shape(got) != want:
                found = f"{name}'s nabla_w[{index}] has shape {np.shape(got)} where the weights have {want}"
                raise self.not_returned("nabla-w-shape", found, "one array shaped like each layer's weights")
        for index, (got, bias) in enumerate(zip(nabla_b, self.get("biases"))):
            if parameters.size_of(got) != parameters.size_of(bias):
                found = f"{name}'s nabla_b[{index}] has shape {np.shape(got)} where the biases have "
                found += f"{np.shape(bias)}"
                raise self.not_returned("nabla-b-shape", found, "one array shaped like each layer's biases")
        if len(nabla_w) != self.found.n_layers or len(nabla_b) != self.found.n_layers:
            found = (
                f"{name} returned {len(nabla_b)} and {len(nabla_w)} arrays for {self.found.n_layers} layers"
            )
            raise self.not_returned("nabla-count", found, shape)
        return nabla_w, nabla_b

    def gradients(self, x, y):
        """Sums over the examples of dC/dW and dC/db: from backprop where the file has one,
        else from one-example updates, each undone (p0 - p1 = eta * gradient, eta = 1)."""
        grads = [np.zeros_like(p) for p in self.parameters()]
        for xi, yi in zip(x, self.targets(y)):
            if self.found.names["backprop"]:
                step = self.backprop_step(xi, yi)
            else:
                before = self.parameters()
                with np.errstate(over="ignore"):
                    self.update([(xi, yi)], 1.0)
                step = [p0 - p1 for p0, p1 in zip(before, self.parameters())]
                self.set_parameters(before)
            grads = [g + np.asarray(s, dtype=np.float64).reshape(g.shape) for g, s in zip(grads, step)]
        return grads

    def evaluate(self, x, y):
        return sum(int(np.argmax(out) == label) for out, label in zip(self.forward(x), y))

    def find_cost(self) -> OwnCost | None:
        """The cost the file keeps in `self.cost`, as network2.py does; None for the book's quadratic."""
        kept = getattr(self.net, "cost", None)
        if kept is None or isinstance(kept, int | float | str):
            return None
        for attribute in COST_ATTRIBUTES:
            function = getattr(kept, attribute, None)
            if callable(function):
                owner = kept.__name__ if isinstance(kept, type) else type(kept).__name__
                return OwnCost(function, f"{owner}.{attribute}", *cost_words(owner))
        if callable(kept) and hasattr(kept, "__name__"):
            return OwnCost(kept, kept.__name__, *cost_words(kept.__name__))
        return None

    def cost(self, x, y):
        """The mean cost over the examples: the file's own (self.cost.fn) where it has one, else quadratic."""
        total = 0.0
        for out, target in zip(self.forward(x), self.targets(y)):
            a = np.asarray(out, dtype=np.float64).reshape(target.shape)
            if self.found.own_cost:
                total += self.own_example_cost(a, parameters.as_numpy(target).astype(np.float64))
            else:
                diff = np.ravel(a) - parameters.as_numpy(target).ravel()
                total += 0.5 * float(diff @ diff)
        return total / len(x)

    def own_example_cost(self, a: np.ndarray, y: np.ndarray) -> float:
        """The file's own cost (self.cost.fn) of one output column a and one-hot column y."""
        value = self.bounded.call(
            self.found.own_cost.owner, self.found.own_cost.function, self.layout.like(a), self.layout.like(y)
        )
        return float(np.sum(parameters.as_numpy(value)))

    def parameters(self):
        """The current [W1, b1, ...] as float64, in the harness's orientation; an array whose shape the
        learner's update changed (a bias broadcast to a matrix) is told in one line."""
        params = []
        for index, (w, b) in enumerate(zip(self.get("weights"), self.get("biases"))):
            w, b = (parameters.as_numpy(p).astype(np.float64) for p in (w, b))
            w = self.layout.weights(w)
            if w.shape != self.shapes[2 * index] or b.size != self.shapes[2 * index + 1][0]:
                changed = (
                    ("weights", w.shape, self.shapes[2 * index])
                    if w.shape != self.shapes[2 * index]
                    else ("biases", b.shape, self.layout.bias_shape)
                )
                at = self.at("update_mini_batch")
                raise LearnerCodeError(
                    Finding(
                        "shape-changed",
                        f"{at}: after {self.found.names['update_mini_batch']}, "
                        f"{parameters.shown(self.places[changed[0]].paths[index])} has shape {changed[1]} "
                        f"where it had {changed[2]}; an update must keep each array's shape (look for a sum "
                        "that broadcasts)",
                        at,
                    )
                )
            params += [w, np.ravel(b)]
        return params

    def synchronize(self):
        pass


STAGES = (
    YourNetwork.read_file,
    YourNetwork.find_roles,
    YourNetwork.plan_calls,
    YourNetwork.build,
    YourNetwork.find_parameters,
    YourNetwork.read_examples,
)
