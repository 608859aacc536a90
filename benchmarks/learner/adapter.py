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
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.fairness import init_params, layer_sizes
from benchmarks.learner import parameters
from benchmarks.learner.bounded import Bounded, LearnerCodeError
from benchmarks.learner.loading import (
    EXAMPLE,
    LearnerFileError,
    learner_source_files,
    load_definitions,
    resolve,
)
from benchmarks.learner.roles import (
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
from benchmarks.sourcefile import place

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

    def pair(self, x, y) -> tuple:
        """The book's (column x, one-hot column y) in this form."""
        if self.y == "label":
            y = int(np.argmax(parameters.as_numpy(y)))
        elif self.y == "flat":
            y = y.reshape(-1)
        return (x.reshape(-1) if self.x == "flat" else x), y

    def words(self, n_in: int, n_out: int) -> str:
        """How a method takes each example, against the book."""
        if self.y == "label":
            return f"each example's y as the digit's label (an int), not the one-hot ({n_out}, 1) column"
        return f"each example as flat vectors, x ({n_in},) and y ({n_out},), not the book's columns"


BOOK, FLAT, LABELS = Examples(), Examples("flat", "flat"), Examples("column", "label")
# An error of code that indexes with y (e[y] = 1.0, np.eye(10)[y]): the method wants the digit's label
INDEXED_BY_Y = re.compile(r"raised (IndexError|TypeError): .*(indices|index|integer)")


class WrongLayers(LearnerCodeError):
    """The network the file builds has another number of weight or bias arrays than layers: a FAIL,
    found before any check can run."""


class NotGradients(LearnerCodeError):
    """The file's backprop returns two lists, but of something other than the gradients (activations and
    deltas, for its update to combine): it is left out, and the update is checked on its own."""


class YourNetwork:
    """The harness's interface over a learner's Network, which keeps its own arrays and code."""

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
        self.dtype = np.dtype(dtype)
        timeout = DEFAULT_TIMEOUT if timeout is None else timeout
        self.loaded = load_definitions(path, timeout, spelling.timeout)
        self.cls = find_class(self.loaded, class_name)  # its note among the file's
        self.module, self.skipped, self.notes = (
            self.loaded.module,
            self.loaded.skipped,
            list(self.loaded.notes),
        )
        self.file = self.loaded.path.name
        self.spelling = spelling
        self.bounded = Bounded(self.loaded.path.parent, timeout, self.loaded.failed_imports, spelling.timeout)
        if adopted := adopt_top_level_methods(self.cls, self.loaded):
            self.notes.append(adopted)
        self.names = find_methods(self.cls, self.loaded, parsed_options(method, "method", spelling), spelling)
        self.update_left_out = None
        if not self.names["update_mini_batch"]:
            self.leave_out_update(without_update)
        arguments = self.evaluated(parsed_options(arg, "arg", spelling), "arg")
        filled = {"lmbda": float(lmbda), "n": len(train_y)}
        self.backprop_left_out = None
        self.plans = {}
        for role, name in self.names.items():
            if not name:
                continue
            try:
                self.plans[role] = plan_call(self.cls, self.loaded, role, name, arguments, filled, spelling)
            except LearnerFileError as e:
                if role != "backprop" or "takes fewer arguments" not in str(e):
                    raise
                self.leave_out_backprop(str(e).split("; name the method")[0])
        if unused := [name for name in arguments if not any(name in p.filled for p in self.plans.values())]:
            methods = ", ".join(p.name for p in self.plans.values())
            raise LearnerFileError(
                f"{spelling.option('arg', [(name, str(arguments[name])) for name in unused])}: none of the "
                f"methods the tool calls ({methods}) has a parameter {', '.join(unused)} without a default; "
                "leave it out"
            )
        self.constructor = plan_constructor(
            self.cls, self.loaded, parsed_options(init, "init", spelling), spelling
        )
        sizes = [params[0].shape[1]] + [w.shape[0] for w in params[0::2]]
        self.n_out, self.n_layers = sizes[-1], len(sizes) - 1
        keywords = self.evaluated(self.constructor.keywords, "init")
        self.net = self.bounded.call(
            f"{self.cls.__name__}'s constructor",
            self.cls,
            *self.constructor.arguments(sizes),
            at=(self.file, line_of(self.cls, "__init__")),
            **keywords | self.constructor.keyword_sizes(sizes),
        )
        self.find_parameter_lists(params, parsed_options(param, "param", spelling))
        self.find_kept_eta()
        self.set_parameters(params)
        update = self.plans.get("update_mini_batch")
        self.lmbda = (update.lmbda if update else None) or 0.0
        self.n_train = len(train_y)
        self.own_cost = self.find_cost()
        self.swapped = False
        self.forms = {role: BOOK for role in ("backprop", "update_mini_batch")}
        self.train_pairs = list(zip(self.columns(train_x), self.targets(train_y)))
        self.probe(cost)
        if self.forms["update_mini_batch"] != BOOK:
            self.train_pairs = [self.forms["update_mini_batch"].pair(x, y) for x, y in self.train_pairs]

    def probe(self, cost: str | None):
        """One example through feedforward and backprop, so that what cannot work is said now, not
        mid-check: weights kept as (n_in, n_out) for inputs as rows, a result of the wrong shape, or a
        run's `cost` that is not the file's."""
        x, y = self.train_pairs[0]
        try:
            self.forward([x])
        except LearnerCodeError:
            if not self.transposed:
                raise
            shape = tuple(np.shape(self.get("weights")[0]))
            raise LearnerFileError(
                f"{self.where('feedforward')}: {self.cls.__name__} keeps its weights as (n_in, n_out), "
                f"{shape}, and {self.names['feedforward']} fails on an input column of shape {x.shape}; "
                "the tool needs the book's convention: weights (n_out, n_in) and each example a column"
            ) from None
        if self.names["backprop"]:
            try:
                with np.errstate(all="ignore"):  # a backprop called with what it does not expect
                    self.tried("backprop", lambda: self.backprop_step(x, y), [FLAT, LABELS])
            except NotGradients as e:  # (activations, deltas) for its update to combine
                self.leave_out_backprop(str(e).split(": ", 1)[1])
            except LearnerCodeError as e:
                if self.plans["backprop"].as_book:
                    raise
                self.leave_out_backprop(str(e).split("; it must return")[0])
        if self.names["update_mini_batch"]:
            self.probe_update(x, y)
        if mismatch := self.cost_mismatch(cost):
            raise LearnerFileError(mismatch)

    def tried(self, role: str, attempt, others: list[Examples]):
        """attempt() with the role's examples as the book's; where the method raises or returns what
        cannot be used, again with each other form in turn (the label only where the code indexes with
        y), which becomes the role's with a note; the book's error where none works."""
        try:
            return attempt()
        except NotGradients:
            raise
        except LearnerCodeError as e:
            for form in [] if "has not returned after" in str(e) else others:
                if form == LABELS and not INDEXED_BY_Y.search(str(e)):
                    continue
                self.forms[role] = form
                try:
                    result = attempt()
                except LearnerCodeError:
                    continue
                self.notes.append(
                    f"{self.names[role]} takes {form.words(self.shapes[0][1], self.n_out)} (with the book's, "
                    f"{str(e).split('; fix that line')[0]}): given so"
                )
                return result
            self.forms[role] = BOOK
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
                self.tried("update_mini_batch", lambda: self.updated([(x, y)], 1.0), [FLAT, LABELS])
        except LearnerCodeError:
            pass
        finally:
            self.net = kept

    def updated(self, pairs, eta):
        self.update(pairs, eta)
        return self.parameters()

    def update(self, pairs, eta):
        """update_mini_batch of the book's (column, one-hot column) pairs, each in the form it takes."""
        form = self.forms["update_mini_batch"]
        return self.call("update_mini_batch", [form.pair(x, y) for x, y in pairs], eta)

    def leave_out_update(self, allowed: bool):
        """A class with a backprop but no update_mini_batch (it updates inline, in its SGD loop): the
        checker runs check 1 alone, with a note; a run, which trains through it, is refused."""
        methods = ", ".join(methods_of(self.cls)) or "none"
        missing = f"class {self.cls.__name__} has no update_mini_batch method that the tool recognises"
        option = self.spelling.option("method", [("update_mini_batch", "NAME")])
        at = place(self.file, line_of(self.cls))
        if not allowed:
            raise LearnerFileError(f"{at}: {missing} (its methods: {methods}); name it: {option}")
        self.update_left_out = f"{missing} (its methods: {methods})"
        self.notes.append(
            f"{self.update_left_out}: the checks that call it (2 to 5) are left out, and check 1 runs on "
            f"{self.names['backprop']} alone; if one is the update, name it: {option}"
        )

    def leave_out_backprop(self, why: str):
        """A backprop that cannot be called as the book's backprop(x, y) is not used: each check that
        needs gradients makes them from one-example updates instead, and a note says why."""
        name = self.names["backprop"]
        self.names["backprop"] = None
        self.plans.pop("backprop", None)
        self.backprop_left_out = f"{name} is not the book's backprop(x, y) ({why})"
        if self.update_left_out:
            raise LearnerFileError(
                f"{place(self.file, line_of(self.cls))}: {self.update_left_out}, and "
                f"{self.backprop_left_out}; the tool needs one of them: "
                f"{self.spelling.option('method', [('update_mini_batch', 'NAME')])}"
            )
        self.notes.append(
            f"{self.backprop_left_out}: left out; the gradients come from one-example updates of "
            f"{self.names['update_mini_batch']} instead (--method backprop=NAME names another)"
        )

    def cost_mismatch(self, cost: str | None) -> str | None:
        if cost and self.cost_setting and cost != self.cost_setting:
            return (
                f"cost={cost}, but {self.file} computes the {self.cost_name}; set cost={self.cost_setting}, "
                "so that the results name the cost your file computes"
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
        if settings.get("lmbda") and net.plans["update_mini_batch"].lmbda is None:
            return (
                f"lmbda={settings['lmbda']:g}, but {net.file}'s {net.names['update_mini_batch']} takes no "
                "L2 parameter; leave lmbda at 0 for a chapter-1 file"
            )
        return net.cost_mismatch(cost)

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
        namespace = vars(self.module)
        return {
            name: self.bounded.call(f"{option} {name}={value}", eval, value, namespace)
            if isinstance(value, str)
            else value
            for name, value in values.items()
        }

    def source_files(self) -> list[Path]:
        return learner_source_files(self.module)

    def call(self, role, *values):
        plan = self.plans[role]
        if plan.kept_eta:
            setattr(self.net, plan.kept_eta, values[1])
        method = getattr(self.net, plan.name)
        return self.bounded.call(
            plan.name, method, *plan.arguments(*values), at=(self.file, line_of(self.cls, plan.name))
        )

    def where(self, role) -> str:
        return self.where_defined(self.names[role])

    def where_defined(self, method: str) -> str:
        return place(self.file, line_of(self.cls, method))

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
            raise LearnerFileError(
                f"{self.where_defined('__init__')}: {self.cls.__name__} keeps no {what} shaped {expected} "
                f"{looked} (its attributes: {listed}) after it is built, nor in lists, tuples, dicts or "
                f"objects inside them; the tool needs one array per layer, found by its shape; if they "
                f"are there, name the attribute: {self.spelling.option('param', [(what, 'NAME')])}"
            )

    def refuse_miscounted(self, what: str, weights: list[tuple], sizes: list[int]):
        """WrongLayers where the attribute named for the role (self.weights, self.w...) holds a list of
        arrays each shaped like one of the layers' but not one per layer (zip(sizes[:1], sizes[1:]))."""
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
                built_sizes = [weights[0][1], *sizes]
                raise WrongLayers(
                    f"{self.where_defined('__init__')}: {self.cls.__name__}({built_sizes}) builds "
                    f"{len(shapes)} {what[:-1] if what == 'weights' else 'bias'} array"
                    f"{'s' if len(shapes) != 1 else ''} for its {len(expected)} layers: self.{name} holds "
                    f"{', '.join(map(str, shapes))}, where the book's holds one per layer, "
                    f"{', '.join(map(str, expected))}; look at the zip that makes self.{name} "
                    f"(the book's: zip(sizes[:-1], sizes[1:]))"
                )

    def find_kept_eta(self):
        """For an update_mini_batch(mini_batch) without eta: the attribute the constructor keeps it in
        (self.eta, self.learning_rate, ...), which each call sets; one line where there is none."""
        plan = self.plans.get("update_mini_batch")
        if plan is None or plan.kept_eta is None:
            return
        kept = [
            name
            for name, value in vars(self.net).items()
            if name.lower().lstrip("_") in ETA_NAMES and isinstance(value, int | float)
        ]
        if not kept:
            raise LearnerFileError(
                f"{self.where('update_mini_batch')}: {plan.name}(mini_batch) takes no eta, and "
                f"{self.cls.__name__} keeps none that the tool recognises (self.eta, self.learning_rate, "
                f"...); name the method that takes one: "
                f"{self.spelling.option('method', [('update_mini_batch', 'NAME')])}"
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
        self.example = own_w
        self.transposed = self.places["weights"].transposed
        self.shapes = [p.shape for p in params]
        self.bias_shape = tuple(np.shape(own_b))
        weights = [(w.T if self.transposed else w).astype(self.dtype) for w in params[0::2]]
        column = (-1, 1) if self.bias_shape[1:] == (1,) else (1, -1) if len(self.bias_shape) == 2 else (-1,)
        biases = [b.reshape(column).astype(self.dtype) for b in params[1::2]]
        self.put("weights", [parameters.like(w, own_w) for w in weights])
        self.put("biases", [parameters.like(b, own_b) for b in biases])

    def columns(self, x):
        return [parameters.like(row.reshape(-1, 1), self.example) for row in np.asarray(x, dtype=self.dtype)]

    def targets(self, labels):
        eye = np.eye(self.n_out, dtype=self.dtype)
        return [parameters.like(eye[:, [label]], self.example) for label in labels]

    def place(self, x, y):
        return self.columns(x), list(y)

    @contextmanager
    def regularised(self, lmbda: float):
        """update_mini_batch called with this value for its L2 parameter, inside the block."""
        plan, kept = self.plans["update_mini_batch"], self.lmbda
        self.plans["update_mini_batch"], self.lmbda = plan.with_lmbda(lmbda), float(lmbda)
        try:
            yield
        finally:
            self.plans["update_mini_batch"], self.lmbda = plan, kept

    def train_epoch(self, order, batch_size, eta):
        with np.errstate(over="ignore"):  # exp(-z) -> inf gives sigmoid 0, as it should
            for k in range(0, len(order), batch_size):  # train_pairs are in the form the update takes
                self.call("update_mini_batch", [self.train_pairs[i] for i in order[k : k + batch_size]], eta)

    def output(self, result) -> np.ndarray:
        """The output activations in what feedforward returned: an array, or the last of its activations."""
        if isinstance(result, list | tuple) and result:
            layers = result[0] if isinstance(result[0], list | tuple) else result
            outputs = [r for r in layers if parameters.size_of(r) == self.n_out]
            result = outputs[-1] if outputs else result
        if (
            result is None
            or parameters.size_of(result) != self.n_out
            or not np.issubdtype(parameters.as_numpy(result).dtype, np.number)
        ):
            raise LearnerCodeError(
                f"{self.where('feedforward')}: {self.names['feedforward']} returned {described(result)}; "
                f"it must return the output activations, an array of shape ({self.n_out}, 1)"
            )
        return parameters.as_numpy(result)

    def forward(self, x):
        with np.errstate(over="ignore"):
            return [self.output(self.call("feedforward", xi)) for xi in x]

    def backprop_step(self, x, y) -> list[np.ndarray]:
        """[dW1, db1, ...] of one example from the learner's backprop, in the harness's orientation."""
        with np.errstate(over="ignore"):
            result = self.call("backprop", *self.forms["backprop"].pair(x, y))
        name, where = self.names["backprop"], self.where("backprop")
        shape = "(nabla_b, nabla_w), two lists with one array per layer"
        if not (
            isinstance(result, list | tuple)
            and len(result) == 2
            and all(isinstance(r, list | tuple) for r in result)
        ):
            raise LearnerCodeError(f"{where}: {name} returned {described(result)}; it must return {shape}")
        weights = [np.shape(w) for w in self.get("weights")]
        nabla_b, nabla_w = result
        if [np.shape(a) for a in nabla_b] == weights and [np.shape(a) for a in nabla_w] != weights:
            nabla_b, nabla_w = nabla_w, nabla_b
            if not self.swapped:
                self.notes.append(f"{name} returns (nabla_w, nabla_b): taken in that order, by their shapes")
                self.swapped = True
        if not any(np.shape(a) in weights for a in [*nabla_b, *nabla_w]):
            raise NotGradients(
                f"{where}: {name} returns arrays shaped {[np.shape(a) for a in nabla_w]}, none shaped like a "
                "layer's weights, so not (nabla_b, nabla_w)"
            )
        for index, (got, want) in enumerate(zip(nabla_w, weights)):
            if np.shape(got) != want:
                raise LearnerCodeError(
                    f"{where}: {name}'s nabla_w[{index}] has shape {np.shape(got)} where the weights have "
                    f"{want}; it must return one array shaped like each layer's weights"
                )
        for index, (got, bias) in enumerate(zip(nabla_b, self.get("biases"))):
            if parameters.size_of(got) != parameters.size_of(bias):
                raise LearnerCodeError(
                    f"{where}: {name}'s nabla_b[{index}] has shape {np.shape(got)} where the biases have "
                    f"{np.shape(bias)}; it must return one array shaped like each layer's biases"
                )
        if len(nabla_w) != self.n_layers or len(nabla_b) != self.n_layers:
            raise LearnerCodeError(
                f"{where}: {name} returned {len(nabla_b)} and {len(nabla_w)} arrays for {self.n_layers} "
                f"layers; it must return {shape}"
            )
        return [
            g
            for nw, nb in zip(nabla_w, nabla_b)
            for nw, nb in [(parameters.as_numpy(nw), parameters.as_numpy(nb))]
            for g in (nw.T if self.transposed else nw, nb.ravel())
        ]

    def gradients(self, x, y):
        """Sums over the examples of dC/dW and dC/db: from backprop where the file has one,
        else from one-example updates, each undone (p0 - p1 = eta * gradient, eta = 1)."""
        grads = [np.zeros_like(p) for p in self.parameters()]
        for xi, yi in zip(x, self.targets(y)):
            if self.names["backprop"]:
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

    def find_cost(self):
        """(function of (a, y), its name in words, the project's cost setting or None) for a cost the file
        keeps in `self.cost`, as network2.py does; None for the book's quadratic cost."""
        kept = getattr(self.net, "cost", None)
        if kept is None or isinstance(kept, int | float | str):
            return None
        for attribute in COST_ATTRIBUTES:
            function = getattr(kept, attribute, None)
            if callable(function):
                owner = kept.__name__ if isinstance(kept, type) else type(kept).__name__
                words, setting = cost_words(owner)
                return function, f"{words}, from your {owner}.{attribute}", setting
        if callable(kept) and hasattr(kept, "__name__"):
            words, setting = cost_words(kept.__name__)
            return kept, f"{words}, from your {kept.__name__}", setting
        return None

    @property
    def cost_name(self) -> str:
        return self.own_cost[1] if self.own_cost else "quadratic, ½‖a − y‖² as in the book"

    @property
    def cost_setting(self) -> str | None:
        return self.own_cost[2] if self.own_cost else "quadratic"

    def cost(self, x, y):
        """The mean cost over the examples: the file's own (self.cost.fn) where it has one, else quadratic."""
        total = 0.0
        for out, target in zip(self.forward(x), self.targets(y)):
            a = np.asarray(out, dtype=np.float64).reshape(target.shape)
            if self.own_cost:
                total += self.own_example_cost(a, parameters.as_numpy(target).astype(np.float64))
            else:
                diff = np.ravel(a) - parameters.as_numpy(target).ravel()
                total += 0.5 * float(diff @ diff)
        return total / len(x)

    def own_example_cost(self, a: np.ndarray, y: np.ndarray) -> float:
        """The file's own cost (self.cost.fn) of one output column a and one-hot column y."""
        value = self.bounded.call(
            self.own_cost[1].split("from your ")[-1],
            self.own_cost[0],
            parameters.like(a, self.example),
            parameters.like(y, self.example),
        )
        return float(np.sum(parameters.as_numpy(value)))

    def parameters(self):
        """The current [W1, b1, ...] as float64, in the harness's orientation; an array whose shape the
        learner's update changed (a bias broadcast to a matrix) is told in one line."""
        params = []
        for index, (w, b) in enumerate(zip(self.get("weights"), self.get("biases"))):
            w, b = (parameters.as_numpy(p).astype(np.float64) for p in (w, b))
            w = w.T if self.transposed else w
            if w.shape != self.shapes[2 * index] or b.size != self.shapes[2 * index + 1][0]:
                changed = (
                    ("weights", w.shape, self.shapes[2 * index])
                    if w.shape != self.shapes[2 * index]
                    else ("biases", b.shape, self.bias_shape)
                )
                raise LearnerCodeError(
                    f"{self.where('update_mini_batch')}: after {self.names['update_mini_batch']}, "
                    f"{parameters.shown(self.places[changed[0]].paths[index])} has shape {changed[1]} "
                    f"where it had "
                    f"{changed[2]}; an update must keep each array's shape (look for a sum that broadcasts)"
                )
            params += [w, np.ravel(b)]
        return params

    def synchronize(self):
        pass
