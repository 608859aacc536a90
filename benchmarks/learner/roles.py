"""Which of a learner's class and methods play the book's roles, and with what arguments.

A role is one of the book's methods: `feedforward(a)`, `update_mini_batch(mini_batch, eta)`,
`backprop(x, y)`. A method is found by its exact name, by one of the names
learners give it (`feed_forward`, `update_weights_and_biases`, `backpropagate`),
by a role word in its name (`backpropogation` holds "backprop") or as a near
misspelling (difflib); where that is unsure or finds nothing, the one-line error
lists the class's methods and shows the option that names one. Parameters beyond
the role's are filled where their meaning is known (network2's `lmbda` and `n`)
and otherwise named with the option that gives them a value. The same options
exist on the checker's command line and as run.py settings; `Spelling` writes
each the way its user types it.
"""

import ast
import difflib
import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from ..configuration import NIELSEN
from ..fairness import layer_sizes
from ..findings import Finding, LearnerFileError, rule
from .loading import LoadedFile


def normalised(name: str) -> str:
    return name.lower().replace("_", "")


# Names learners give eta: a parameter of update_mini_batch, or an attribute the constructor keeps it in
ETA_NAMES = ("eta", "learning_rate", "lr", "alpha", "rate", "step_size", "learningrate", "eta0")


def function_of(cls: type, name: str):
    """The function a class's method is, a staticmethod's or classmethod's unwrapped."""
    member = inspect.getattr_static(cls, name, None)
    return getattr(member, "__func__", member)


def function_node(tree: ast.Module, function) -> ast.FunctionDef | None:
    """The `def` in the file's syntax tree that made the function."""
    line = function.__code__.co_firstlineno
    return next(
        (
            node
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.name == function.__name__
            and min([node.lineno, *(d.lineno for d in node.decorator_list)]) == line
        ),
        None,
    )


def is_named(node: ast.AST, name: str) -> bool:
    """Whether the node is the name, or an attribute of that name: `mode` or `self.mode`."""
    return (isinstance(node, ast.Name) and node.id == name) or (
        isinstance(node, ast.Attribute) and node.attr == name
    )


@dataclass(frozen=True)
class Role:
    aliases: tuple[str, ...]  # names learners give the method, most likely first
    words: tuple[str, ...]  # a normalised name holding one of these plays the role
    not_words: tuple[str, ...]  # ... unless it holds one of these
    parameters: tuple[tuple[str, ...], ...]  # the role's parameters, each with the names it goes by


ROLES = {
    "feedforward": Role(
        ("feedforward", "feed_forward", "feedforwardoutput", "forward", "forward_pass", "output"),
        ("feedforward", "forward", "feedfoward"),
        ("back", "update", "train", "deriv"),
        (("a", "x", "input", "inputs", "activation", "activations", "inp", "data"),),
    ),
    "update_mini_batch": Role(
        (
            "update_mini_batch",
            "update_minibatch",
            "update_batch",
            "update_weights_and_biases",
            "update_weights_biases",
            "update_weights",
            "update_parameters",
            "update_params",
            "update",
            "train_mini_batch",
            "train_batch",
        ),
        ("update", "minibatch"),
        ("back", "forward", "create", "make", "get", "split"),
        (
            ("mini_batch", "minibatch", "batch", "mini_batches", "data", "training_data", "examples", "mb"),
            ETA_NAMES,
        ),
    ),
    "backprop": Role(
        (
            "backprop",
            "backpropagation",
            "backpropagate",
            "back_prop",
            "backpropogation",
            "backward",
            "backwards",
        ),
        ("backprop", "backward", "backpropog", "backpropag"),
        ("update",),
        (
            ("x", "a", "input", "inputs", "activation", "image", "sample"),
            ("y", "target", "targets", "label", "labels", "expected", "desired", "t"),
        ),
    ),
}
REQUIRED = ("feedforward", "update_mini_batch")
LMBDA_NAMES = {"lmbda", "lmbd", "lambda_", "lam", "lamda", "regularization", "reg", "l2", "weight_decay"}
SIZE_NAMES = {
    "n",
    "n_train",
    "training_size",
    "train_size",
    "n_training",
    "len_training_data",
    "total",
    "size_of_training_set",
}
# update_mini_batch(mini_batch, nbatch, eta): the mini-batch's own length, which the update divides by
BATCH_SIZE_NAMES = {"nbatch", "n_batch", "batch_size", "mini_batch_size", "minibatch_size", "batchsize", "m"}
ARRAY_NAMES = {"x": {"x", "xs", "inputs"}, "y": {"y", "ys", "targets", "labels"}}


@dataclass(frozen=True)
class Spelling:
    """How the user passes an option: on the checker's command line, or as a run.py setting."""

    cli: bool

    def option(self, option: str, pairs: list[tuple[str, str]]) -> str:
        if self.cli:
            return " ".join(f"--{option} {shell_quoted(f'{name}={value}')}" for name, value in pairs)
        inner = ",".join(f"{name}:{hydra_value(value)}" for name, value in pairs)
        return shell_quoted(f"network_{option}={{{inner}}}")

    @property
    def timeout(self) -> str:
        return "--timeout SECONDS" if self.cli else "network_timeout=SECONDS"


CLI, HYDRA = Spelling(cli=True), Spelling(cli=False)


def hydra_value(text: str) -> str:
    if re.fullmatch(r"[A-Za-z_][\w.]*|-?\d+(\.\d+)?", text):
        return text
    return f"'{text}'" if "'" not in text else f'"{text}"'


def shell_quoted(text: str) -> str:
    if re.fullmatch(r"[\w.=,:{}/+-]*", text):
        return text
    if "'" not in text:
        return f"'{text}'"
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def classes_of(module) -> dict[str, type]:
    return {k: v for k, v in vars(module).items() if isinstance(v, type) and v.__module__ == module.__name__}


def methods_of(cls: type) -> list[str]:
    """The class's own methods (and those of its bases written in the learner's files), not dunders."""
    names = []
    for klass in cls.__mro__[:-1]:
        if klass.__module__.split(".")[0] in ("torch", "builtins", "abc"):
            continue
        names += [n for n, v in vars(klass).items() if not n.startswith("__") and callable_member(v)]
    return list(dict.fromkeys(names))


def callable_member(value) -> bool:
    return isinstance(value, staticmethod | classmethod) or inspect.isfunction(value)


def line_of(cls: type, name: str | None = None) -> int:
    """The line where the method (or, without a name, the class) is defined in the learner's file."""
    function = function_of(cls, name) if name else None
    if hasattr(function, "__code__"):
        return function.__code__.co_firstlineno
    return getattr(cls, "__firstlineno__", 1)  # set by loading.py, as Python 3.13 does itself


def find_class(loaded: LoadedFile, name: str | None) -> type:
    """The network class: --class's, else Network, else the only class or the only one with an update.
    Where the file defines it more than once, the last definition that has the methods the tool needs
    (a notebook's later cell that writes a part of the class again), with a note saying which."""
    cls = named_class(loaded, name)
    definitions = [c for c in loaded.classes if c.__qualname__ == cls.__qualname__]
    if has_roles(cls, loaded) or len(definitions) < 2:
        return cls
    complete = [c for c in definitions if has_roles(c, loaded)]
    if not complete:
        return cls
    taken = max(complete, key=line_of)
    lacks = [role for role in REQUIRED if not role_names(cls, loaded, role)]
    at = loaded.source_map.line_at
    places = "; ".join(at(line_of(c)) for c in sorted(definitions, key=line_of))
    loaded.notes.append(
        Finding(
            "class-redefined",
            f"class {cls.__name__} is defined {len(definitions)} times ({places}); the last, at "
            f"{at(line_of(cls))}, has no {' or '.join(lacks)}, so the tool takes the one at "
            f"{at(line_of(taken))}, the last that has them",
            loaded.source_map.at(line_of(taken)),
        )
    )
    return taken


def role_names(cls: type, loaded: LoadedFile, role: str) -> list[str]:
    names = methods_of(cls) + [name for name, _ in top_level_methods(cls, loaded)]
    return next((candidates for candidates in ranked(role, names) if candidates), [])


def has_roles(cls: type, loaded: LoadedFile) -> bool:
    return all(role_names(cls, loaded, role) for role in REQUIRED)


def named_class(loaded: LoadedFile, name: str | None) -> type:
    classes = classes_of(loaded.module)
    file = loaded.path.name
    listed = ", ".join(sorted(classes)) or "none"
    if name:
        if name not in classes:
            raise LearnerFileError(
                Finding(
                    "no-such-class",
                    f"{file} has no class {name} (its classes: {listed}); pass the right --class",
                )
            )
        return classes[name]
    if "Network" in classes:
        return classes["Network"]
    if len(classes) == 1:
        return next(iter(classes.values()))
    usable = [c for c in classes.values() if chosen(c, "update_mini_batch", [])]
    if len(usable) == 1:
        return usable[0]
    if not classes:
        raise LearnerFileError(
            Finding(
                "no-class",
                f"{file} defines no class; the tool needs a network class as in the book's network.py "
                "(Network(sizes) with feedforward and update_mini_batch)",
            )
        )
    raise LearnerFileError(
        Finding("which-class", f"{file} has no class Network (its classes: {listed}); pass --class NAME")
    )


def adopt_top_level_methods(cls: type, loaded: LoadedFile) -> Finding | None:
    """Functions written at the file's top level whose first parameter is `self` (a class body that lost
    its indentation after __init__, or methods defined in notebook cells of their own) become the class's
    methods, where it has none of that name; the note that says so, or None."""
    adopted = top_level_methods(cls, loaded)
    if not adopted:
        return None
    for name, function in adopted:
        setattr(cls, name, function)
    lines = sorted(function.__code__.co_firstlineno for _, function in adopted)
    listed = ", ".join(name for name, _ in adopted)
    return Finding(
        "methods-outside-class",
        f"{listed} ({loaded.source_map.place(lines[0])} on) take `self` but are written at the top level, "
        f"outside class {cls.__name__}: taken as its methods; indent them under the class so that your own "
        f"{cls.__name__}(...).{adopted[0][0]}(...) works",
        loaded.source_map.at(lines[0]),
    )


def top_level_methods(cls: type, loaded: LoadedFile) -> list[tuple[str, object]]:
    """(name, function) for each function at the file's top level whose first parameter is `self` and
    whose name the class does not have."""
    module = loaded.module
    return [
        (name, value)
        for name, value in vars(module).items()
        if inspect.isfunction(value)
        and value.__module__ == module.__name__
        and list(inspect.signature(value).parameters)[:1] == ["self"]
        and not hasattr(cls, name)
    ]


def ranked(role: str, names: list[str]) -> list[list[str]]:
    """Candidates for the role, best first: [exact name], [known aliases], [role words], [misspellings]."""
    spec = ROLES[role]
    aliases = [normalised(a) for a in spec.aliases]
    plain = {name: normalised(name.lstrip("_")) for name in names}
    exact = [n for n in names if n == role]
    known = sorted((n for n in names if plain[n] in aliases), key=lambda n: aliases.index(plain[n]))
    worded = [
        n
        for n in names
        if any(w in plain[n] for w in spec.words) and not any(w in plain[n] for w in spec.not_words)
    ]
    misspelt = [n for n in names if difflib.get_close_matches(plain[n], aliases, n=1, cutoff=0.8)]
    return [exact, known[:1], worded, misspelt]


def chosen(cls: type, role: str, taken: list[str]) -> list[str]:
    """The best candidates for the role not already taken by another: one, or several equally good."""
    names = [n for n in methods_of(cls) if n not in taken]
    for candidates in ranked(role, names):
        if candidates:
            return candidates
    return []


def find_methods(cls: type, loaded: LoadedFile, explicit: dict[str, str], spelling: Spelling) -> dict:
    """Role -> method name (None for a backprop, or an update beside a backprop, the class lacks);
    --method always wins."""
    file, methods = loaded.path.name, methods_of(cls)
    listed = ", ".join(methods) or "none"
    for role, name in explicit.items():
        if role not in ROLES:
            raise LearnerFileError(
                Finding(
                    "no-such-role",
                    f"{spelling.option('method', [(role, name)])}: ROLE must be one of {', '.join(ROLES)}",
                )
            )
        if name not in methods:
            option = spelling.option("method", [(role, methods[0] if methods else "NAME")])
            raise LearnerFileError(
                Finding(
                    "no-such-method",
                    f"{file}: class {cls.__name__} has no method {name} (its methods: {listed}); "
                    f"give one of those: {option}",
                )
            )
    names = dict(explicit)
    refuse_other_conventions(cls, loaded, methods, explicit)
    missing, unsure = [], {}
    for role in ("feedforward", "backprop", "update_mini_batch"):
        if role in names:
            continue
        candidates = chosen(cls, role, list(names.values()))
        if len(candidates) > 1:
            unsure[role] = candidates
        elif not candidates and role in REQUIRED and not (role == "update_mini_batch" and names["backprop"]):
            missing.append(role)
        names[role] = candidates[0] if len(candidates) == 1 else None
    if missing or unsure:
        found = [f"no {' or '.join(missing)} method that the tool recognises"] if missing else []
        found += [f"several methods that could be {role} ({', '.join(c)})" for role, c in unsure.items()]
        pairs = [(role, "NAME") for role in missing] + [(role, c[0]) for role, c in unsure.items()]
        them = "it" if len(pairs) == 1 else "them"
        at = loaded.source_map.at(line_of(cls))
        raise LearnerFileError(
            Finding(
                "methods-not-found" if missing else "methods-ambiguous",
                f"{at}: class {cls.__name__} has {', and '.join(found)} "
                f"(its methods: {listed}); name {them}: {spelling.option('method', pairs)}",
                at,
            )
        )
    return {role: names[role] for role in ROLES}


NEEDS_BOOK_UPDATE = (
    "the tool needs the book's convention: update_mini_batch(mini_batch, eta) over a list of (x, y) "
    "column pairs"
)


@dataclass(frozen=True)
class Candidate:
    """The class as found, for the refusals to look at: its methods and the one that would update."""

    cls: type
    loaded: LoadedFile
    methods: list[str]
    update: str | None

    def at(self, method: str | None = None):
        return self.loaded.source_map.at(line_of(self.cls, method))


@rule("torch-module")
def torch_module(c: Candidate) -> Finding | None:
    """A torch.nn.Module, trained by autograd: nothing of the book's backprop to check."""
    if any(k.__module__.split(".")[0] == "torch" for k in c.cls.__mro__):
        return Finding(
            "torch-module",
            f"{c.at()}: class {c.cls.__name__} is a torch.nn.Module, trained by autograd rather than a "
            f"backprop of its own; the tool checks a backprop written out as in the book (compare autograd "
            "with backend=torch_autograd)",
            c.at(),
        )
    return None


@rule("trains-by-fit")
def trains_by_fit(c: Candidate) -> Finding | None:
    """A scikit-learn-like fit(X, y) on all the data at once, and no update."""
    if c.update is None and "fit" in c.methods:
        words = f"{c.at()}: class {c.cls.__name__} trains through fit(X, y), on all the data at once; "
        return Finding("trains-by-fit", words + NEEDS_BOOK_UPDATE, c.at())
    return None


@rule("update-of-arrays")
def update_of_arrays(c: Candidate) -> Finding | None:
    """An update that takes the mini-batch as two arrays, by their names (X, Y)."""
    parameters = {p.lower() for p in parameter_names(c.cls, c.update)} if c.update else set()
    if parameters & ARRAY_NAMES["x"] and parameters & ARRAY_NAMES["y"]:
        taken = ", ".join(parameter_names(c.cls, c.update)[:2])
        words = f"{c.at(c.update)}: {c.update} takes arrays {taken} with the examples as columns; "
        return Finding("update-of-arrays", words + NEEDS_BOOK_UPDATE, c.at(c.update))
    return None


@rule("inputs-and-labels-apart")
def inputs_and_labels_apart(c: Candidate) -> Finding | None:
    """An update that hands its inputs and labels, two parameters, as they are to another method."""
    if not c.update or not (passed := passed_together(c.cls, c.update, c.loaded)):
        return None
    called, (inputs, labels) = passed
    signature = f"{c.update}({', '.join(parameter_names(c.cls, c.update))})"
    return Finding(
        "inputs-and-labels-apart",
        f"{c.at(c.update)}: {signature} passes {inputs} and {labels} as they are to {called}: it takes the "
        f"mini-batch's inputs and their labels as two arrays, not (x, y) pairs; {NEEDS_BOOK_UPDATE}",
        c.at(c.update),
    )


REFUSALS = (torch_module, trains_by_fit, update_of_arrays, inputs_and_labels_apart)


def refuse_other_conventions(cls: type, loaded: LoadedFile, methods: list[str], explicit: dict) -> None:
    """Conventions the tool cannot adapt, each refused in one line saying what it found and needs."""
    update = explicit.get("update_mini_batch") or next(iter(chosen(cls, "update_mini_batch", [])), None)
    candidate = Candidate(cls, loaded, methods, update)
    for refusal in REFUSALS:
        if finding := refusal(candidate):
            raise LearnerFileError(finding)


def passed_together(cls: type, name: str, loaded: LoadedFile) -> tuple[str, tuple[str, str]] | None:
    """Where the method hands its first parameter and another of its parameters straight to one of the
    class's methods, `self.backprop(mini_batch, labels)`: that method's name and the two parameters."""
    own = parameter_names(cls, name)
    node = function_node(loaded.tree, function_of(cls, name))
    if node is None or len(own) < 2:
        return None
    known = {*ETA_NAMES, *LMBDA_NAMES, *SIZE_NAMES, *BATCH_SIZE_NAMES}
    for call in (n for n in ast.walk(node) if isinstance(n, ast.Call)):
        method = call.func
        if not (isinstance(method, ast.Attribute) and isinstance(method.value, ast.Name)):
            continue
        names = [a.id for a in call.args if isinstance(a, ast.Name)]
        labels = names[1] if len(names) > 1 and names[1] in own[1:] else None
        if method.value.id == "self" and names[:1] == [own[0]] and labels and labels.lower() not in known:
            return method.attr, (own[0], labels)
    return None


def parameter_names(cls: type, name: str) -> list[str]:
    return [p.name for p in signature_without_self(cls, name).parameters.values()]


def signature_without_self(cls: type, name: str) -> inspect.Signature:
    member = inspect.getattr_static(cls, name)
    signature = inspect.signature(function_of(cls, name))
    parameters = list(signature.parameters.values())
    if not isinstance(member, staticmethod):
        parameters = parameters[1:]
    return signature.replace(parameters=parameters)


LENGTH = ("length of the first argument",)  # a slot filled with len(mini_batch)


@dataclass
class CallPlan:
    """How to call a role's method: `slots` in order, each a role parameter's index or a fixed value."""

    name: str
    slots: list = field(default_factory=list)
    filled: dict[str, object] = field(default_factory=dict)  # extra parameter -> the value it gets
    said: list[str] = field(default_factory=list)
    lmbda: float | None = None  # the L2 parameter's value, where the method has one
    kept_eta: str | None = None  # update_mini_batch(mini_batch) reads eta from this attribute of the net
    as_book: bool = True  # every role parameter found by its name: the method means what the book's does

    def arguments(self, *values) -> list:
        return [
            values[slot] if isinstance(slot, int) else len(values[0]) if slot == LENGTH else slot[1]
            for slot in self.slots
        ]

    def with_lmbda(self, lmbda: float) -> "CallPlan":
        """The same call with another value for its L2 parameter."""
        slots = [("lmbda", lmbda) if isinstance(s, tuple) and s[0] == "lmbda" else s for s in self.slots]
        return replace(self, slots=slots, lmbda=float(lmbda))


@dataclass(frozen=True)
class Filler:
    """A value for a parameter beyond the role's, where its name says what it means: the slot it takes in
    the call, the value told, and the words in the first line ('' for a value the user gave)."""

    code: str
    what: str
    fills: Callable[[str, str], bool]  # (role, the parameter's name in lower case)
    slot: Callable[[str, dict, dict], object]  # (name, the user's values, the run's settings)
    told: Callable[[str, dict, dict], object]
    said: Callable[[str, dict, dict], str]


FILLERS = (
    Filler(
        "given",
        "a parameter the user gave a value with --arg NAME=EXPR (network_arg for run.py)",
        lambda role, name: True,  # asked after the others only for a name the user gave a value
        lambda name, given, settings: ("value", given[name]),
        lambda name, given, settings: given[name],
        lambda name, given, settings: "",
    ),
    Filler(
        "lmbda",
        "network2's L2 parameter (lmbda, lam, reg, weight_decay...): the run's lmbda, 0 for the checker",
        lambda role, name: name in LMBDA_NAMES,
        lambda name, given, settings: ("lmbda", settings["lmbda"]),
        lambda name, given, settings: settings["lmbda"],
        lambda name, given, settings: (
            f"{name}={settings['lmbda']:g}" + ("" if settings["lmbda"] else ", no L2")
        ),
    ),
    Filler(
        "batch-size",
        "update_mini_batch's own batch length (nbatch, batch_size, m...): len(mini_batch)",
        lambda role, name: role == "update_mini_batch" and name in BATCH_SIZE_NAMES,
        lambda name, given, settings: LENGTH,
        lambda name, given, settings: "len(mini_batch)",
        lambda name, given, settings: f"{name}=len(mini_batch)",
    ),
    Filler(
        "training-set-size",
        "the training-set size (n, n_train, train_size...): the number of training examples",
        lambda role, name: name in SIZE_NAMES,
        lambda name, given, settings: ("value", settings["n"]),
        lambda name, given, settings: settings["n"],
        lambda name, given, settings: f"{name}={settings['n']}, the training-set size",
    ),
)


def filler_for(role: str, name: str, given: dict) -> Filler | None:
    if name in given:
        return FILLERS[0]
    return next((f for f in FILLERS[1:] if f.fills(role, name.lower())), None)


def required_parameters(cls: type, name: str) -> tuple[list[inspect.Parameter], bool]:
    """The method's positional parameters without a default, and whether it takes *args."""
    parameters = signature_without_self(cls, name).parameters.values()
    required = [
        p
        for p in parameters
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    return required, any(p.kind == p.VAR_POSITIONAL for p in parameters)


def role_places(role: str, required: list, given: dict) -> tuple[dict[str, int], bool]:
    """Parameter name -> the role parameter it takes (found by its name, else the next one left), and
    whether every role parameter was found by its name."""
    spec, places = ROLES[role], {}
    for index, names in enumerate(spec.parameters):
        match = next((p.name for p in required if p.name.lower() in names and p.name not in places), None)
        if match:
            places[match] = index
    unplaced = [i for i in range(len(spec.parameters)) if i not in places.values()]
    as_book = not unplaced
    for p in required:
        if p.name not in places and unplaced and p.name not in given:
            places[p.name] = unplaced.pop(0)
    return places, as_book


def plan_call(cls, loaded, role, name, given: dict, settings: dict, spelling: Spelling) -> CallPlan:
    """The arguments for calling the role's method: the role's in the places its names say, network2's
    lmbda and n filled, others from --arg; one line naming what is missing."""
    required, has_varargs = required_parameters(cls, name)
    spec, plan = ROLES[role], CallPlan(name)
    at = loaded.source_map.at(line_of(cls, name))
    wanted = ", ".join(names[0] for names in spec.parameters)
    signature = f"{name}({', '.join(p.name for p in required)})"
    if role == "update_mini_batch" and len(required) == 1 and not has_varargs:
        plan.slots, plan.kept_eta = [0], "?"  # the attribute is found once the net is built
        return plan
    if len(required) < len(spec.parameters) and not has_varargs:
        found = f"{at}: {signature} takes fewer arguments than {role}({wanted})"
        option = spelling.option("method", [(role, "NAME")])
        words = f"{found}; name the method that does: {option}"
        raise LearnerFileError(Finding("fewer-arguments", words, at, short=found, facts={"role": role}))
    places, plan.as_book = role_places(role, required, given)
    missing = []
    for p in required:
        filler = None if p.name in places else filler_for(role, p.name, given)
        if p.name in places:
            plan.slots.append(places[p.name])
        elif filler is None:
            missing.append(p.name)
        else:
            plan.slots.append(filler.slot(p.name, given, settings))
            plan.filled[p.name] = filler.told(p.name, given, settings)
            plan.said += [said] if (said := filler.said(p.name, given, settings)) else []
    if has_varargs and not required:
        plan.slots = list(range(len(spec.parameters)))
    lmbda = [value for name, value in plan.filled.items() if name.lower() in LMBDA_NAMES]
    plan.lmbda = float(lmbda[0]) if lmbda else None
    if missing:
        needed = ", ".join(f"`{m}`" for m in missing)
        raise LearnerFileError(
            Finding(
                "extra-parameter",
                f"{at}: {signature} needs a value for {needed}, which {role}({wanted}) does not have; "
                f"give one: {spelling.option('arg', [(m, '0') for m in missing])}",
                at,
            )
        )
    return plan


@dataclass
class ConstructorPlan:
    takes_sizes: bool
    spread: bool  # Network(*sizes)
    keywords: dict[str, object]
    said: str
    sizes_keyword: str | None = None  # Network(size=sizes): an __init__(**kwargs) reads kwargs['size']
    notes: list[Finding] = field(default_factory=list)  # each constructor argument the tool filled in

    def arguments(self, sizes: list[int]) -> list:
        if self.sizes_keyword:
            return []
        return list(sizes) if self.spread else [sizes] if self.takes_sizes else []

    def keyword_sizes(self, sizes: list[int]) -> dict[str, list[int]]:
        return {self.sizes_keyword: list(sizes)} if self.sizes_keyword else {}


def own_call_argument(name: str, cls: type, loaded: LoadedFile) -> ast.expr | None:
    """What the file's own call of the class (`net = Network([784, 30, 10], cost=QuadraticCost)`, in its
    script part) passes for the constructor's parameter `name`; None where it has no such call."""
    parameters = [p.name for p in signature_without_self(cls, "__init__").parameters.values()]
    for node in ast.walk(loaded.tree):
        if not (isinstance(node, ast.Call) and is_named(node.func, cls.__name__)):
            continue
        passed = {k.arg: k.value for k in node.keywords} | dict(zip(parameters, node.args))
        if name in passed:
            return passed[name]
    return None


def names_in_namespace(expression: ast.expr | None, loaded: LoadedFile) -> str | None:
    """The expression as written where it is a function or class of the file's namespace, or a call of
    such a class without arguments (`sigmoid`, `activations.sigmoid`, `QuadraticCost()`); else None."""
    called = isinstance(expression, ast.Call)
    named = expression.func if called and not (expression.args or expression.keywords) else expression
    if not isinstance(named, ast.Name | ast.Attribute):
        return None
    try:
        value = eval(ast.unparse(named), vars(loaded.module))  # a name or an attribute: nothing of it runs
    except Exception:  # noqa: BLE001 - a name the file's namespace lacks is not filled
        return None
    fits = isinstance(value, type) or (not called and inspect.isfunction(value))
    return ast.unparse(expression) if fits else None


def quadratic_cost(name: str, cls: type, loaded: LoadedFile) -> str | None:
    """The file's quadratic cost class for a constructor's cost parameter: the class itself where the file
    passes the class (its own call does, or its methods are all static, as network2's), else an instance."""
    if not any(word in normalised(name) for word in ("cost", "loss")):
        return None
    costs = [k for k in classes_of(loaded.module) if "quadratic" in k.lower()]
    if not costs:
        return None
    own = own_call_argument(name, cls, loaded)
    if own is not None:
        as_class = not isinstance(own, ast.Call)
    else:
        members = [v for k, v in vars(classes_of(loaded.module)[costs[0]]).items() if not k.startswith("__")]
        as_class = bool(members) and all(isinstance(v, staticmethod) for v in members)
    return costs[0] if as_class else f"{costs[0]}()"


@dataclass(frozen=True)
class InitFiller:
    """A value for a constructor parameter beyond the layer sizes that the file itself shows: an
    expression evaluated in the file's namespace, as --init's are, or None where it shows none."""

    code: str
    what: str
    said: str
    value: Callable[[str, type, LoadedFile], str | None]


INIT_FILLERS = (
    InitFiller(
        "quadratic-cost",
        "a cost parameter (cost, loss...): the file's own quadratic cost class, chapter 1's cost, as a class "
        "or an instance as the file passes it",
        "the file's quadratic cost, chapter 1's (--init names another)",
        quadratic_cost,
    ),
    InitFiller(
        "own-call",
        "another parameter: the function or class the file's own call of the class passes for it "
        "(`Network(sizes, activation=sigmoid)`, sigmoid imported from a module beside it)",
        "as the file's own call of the class passes it (--init names another)",
        lambda name, cls, loaded: names_in_namespace(own_call_argument(name, cls, loaded), loaded),
    ),
)


def filled_in(names: list[str], cls: type, loaded: LoadedFile, given: dict, at) -> list[Finding]:
    """Each of the constructor's parameters that an INIT_FILLERS rule fills, put in `given`, with its note."""
    notes = []
    for name in names:
        filled = next(((f, v) for f in INIT_FILLERS if (v := f.value(name, cls, loaded)) is not None), None)
        if filled:
            given[name] = filled[1]
            notes.append(Finding(filled[0].code, f"{name}={filled[1]}: {filled[0].said}", at))
    return notes


def plan_constructor(cls: type, loaded: LoadedFile, given: dict, spelling: Spelling) -> ConstructorPlan:
    """How to build the class from the layer sizes and --init's values; one line naming what is missing."""
    init = inspect.getattr_static(cls, "__init__")
    if init is object.__init__:
        return ConstructorPlan(False, False, {}, f"{cls.__name__}()")
    parameters = list(signature_without_self(cls, "__init__").parameters.values())
    at = loaded.source_map.at(line_of(cls, "__init__"))
    spread = bool(parameters) and parameters[0].kind == parameters[0].VAR_POSITIONAL
    accepts = {p.name for p in parameters[1:]} if parameters else set()
    takes_any = any(p.kind == p.VAR_KEYWORD for p in parameters)
    for name in given:
        if name not in accepts and not takes_any:
            listed = ", ".join(p.name for p in parameters) or "none"
            raise LearnerFileError(
                Finding(
                    "no-such-init-parameter",
                    f"{at}: {cls.__name__}'s constructor has no parameter `{name}` "
                    f"(its parameters: {listed}); pass only those",
                    at,
                )
            )
    given = dict(given)
    for p in parameters[1:]:
        if p.default is p.empty and p.name.lower() in ETA_NAMES and p.name not in given:
            given[p.name] = "3.0"  # the book's; each update's eta is set on the net before it runs
    needed = [
        p.name
        for p in parameters[1:]
        if p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    ]
    plan_notes = filled_in([name for name in needed if name not in given], cls, loaded, given, at)
    missing = [name for name in needed if name not in given]
    if missing:
        pairs = [(name, suggestion(name, cls, loaded)) for name in missing]
        raise LearnerFileError(
            Finding(
                "init-needs-values",
                f"{at}: {cls.__name__}({', '.join(p.name for p in parameters)}) needs "
                f"{', '.join(f'`{m}`' for m in missing)} beside the layer sizes; pass "
                f"{'it' if len(missing) == 1 else 'them'} (a Python expression in your file's namespace): "
                f"{spelling.option('init', pairs)}",
                at,
            )
        )
    first = parameters[0].name if parameters else ""
    keyword = sizes_keyword(cls, loaded) if takes_any else None
    sizes = f"{keyword}=sizes" if keyword else f"*{first}" if spread else first
    shown = ", ".join([sizes, *(f"{k}={v}" for k, v in given.items())])
    said = f"{cls.__name__}({shown})"
    return ConstructorPlan(bool(parameters), spread, dict(given), said, keyword, plan_notes)


SIZES_WORDS = ("size", "layer", "shape", "dim", "topolog", "architect", "struct", "neuron")


def sizes_keyword(cls: type, loaded: LoadedFile) -> str | None:
    """The key under which an __init__(self, *args, **kwargs) reads the layer sizes from its keywords,
    `kwargs['sizes']` or `kwargs.pop('size', None)`; None where it reads none."""
    init = inspect.getattr_static(cls, "__init__")
    keywords = next(
        (p.name for p in inspect.signature(init).parameters.values() if p.kind == p.VAR_KEYWORD), None
    )
    defined = function_node(loaded.tree, init)
    if not keywords or not defined:
        return None
    keys = []
    for node in ast.walk(defined):
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            read, key = node.value, node.slice
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args:
            read, key = node.func.value, node.args[0]
            if node.func.attr not in ("get", "pop", "setdefault"):
                continue
        else:
            continue
        if isinstance(read, ast.Name) and read.id == keywords and isinstance(key, ast.Constant):
            keys.append(str(key.value))
    sized = [k for k in keys if any(w in normalised(k) for w in SIZES_WORDS)]
    return next((k for k in sized if not any(w in normalised(k) for w in ("batch", "step"))), None)


def suggestion(name: str, cls: type, loaded: LoadedFile) -> str:
    """A value for a constructor parameter, from what the file defines: a string it is compared with,
    a cost class, an activation function or its derivative; 'EXPR' when nothing fits. Where the code
    takes the parameter one entry per layer (zips it with the weights), a list of one per layer."""
    elements = layer_elements(loaded.tree, name)
    value = single_value(name, [name, *(elements or [])], loaded)
    if elements is None or value == "EXPR":
        return value
    return f"[{', '.join([value] * (len(layer_sizes(NIELSEN['hidden'])) - 1))}]"


def single_value(name: str, compared: list[str], loaded: LoadedFile) -> str:
    key, namespace = normalised(name), vars(loaded.module)
    functions = [k for k, v in namespace.items() if inspect.isfunction(v)]
    strings = [s for n in compared for s in compared_strings(loaded.tree, n)] or [
        s for s in keyed_strings(loaded.tree, name) if "sigmoid" in s
    ]
    if strings:
        return repr(next((s for s in strings if "sigmoid" in s.lower()), strings[0]))
    if "cost" in key or "loss" in key:
        costs = [
            k for k, v in classes_of(loaded.module).items() if "cost" in k.lower() or "loss" in k.lower()
        ]
        costs.sort(key=lambda k: "quadratic" not in k.lower())
        if costs:
            return f"{costs[0]}()"
    if any(w in key for w in ("deriv", "prime", "grad")):
        derivatives = [f for f in functions if any(w in f.lower() for w in ("prime", "deriv"))]
        derivatives.sort(key=lambda f: "sigmoid" not in f.lower())
        if derivatives:
            return derivatives[0]
    if any(w in key for w in ("activ", "func", "sigma", "nonlin")):
        plain = [
            f
            for f in functions
            if "sigmoid" in f.lower() and not any(w in f.lower() for w in ("prime", "deriv"))
        ]
        if plain:
            return plain[0]
    return "EXPR"


def layer_elements(tree: ast.Module, name: str) -> list[str] | None:
    """Where the code goes through the parameter (or the attribute it is kept in) one entry per layer,
    in a loop over it or over a zip of it with the weights, or indexes it with a layer's number: the names
    its entries take in those loops (perhaps none); None where it is used whole."""
    found = None
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and is_named(node.value, name):
            index = node.slice
            if not (isinstance(index, ast.Constant) and isinstance(index.value, str)):
                found = found or []
        if not isinstance(node, ast.For | ast.comprehension):
            continue
        iterated, target = node.iter, node.target
        if isinstance(iterated, ast.Call) and isinstance(iterated.func, ast.Name):
            if iterated.func.id == "enumerate" and iterated.args:
                iterated = iterated.args[0]
                target = target.elts[1] if isinstance(target, ast.Tuple) and len(target.elts) == 2 else None
            elif iterated.func.id == "zip":
                positions = [k for k, argument in enumerate(iterated.args) if is_named(argument, name)]
                if positions:
                    found = found or []
                    if isinstance(target, ast.Tuple) and len(target.elts) == len(iterated.args):
                        element = target.elts[positions[0]]
                        found += [element.id] if isinstance(element, ast.Name) else []
                continue
        if is_named(iterated, name):
            found = (found or []) + ([target.id] if isinstance(target, ast.Name) else [])
    return None if found is None else list(dict.fromkeys(found))


def compared_strings(tree: ast.Module, name: str) -> list[str]:
    """The strings the parameter (or the attribute it is kept in) is compared with: `mode == 'sigmoid'`."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare):
            continue
        sides = [node.left, *node.comparators]
        if any(is_named(side, name) for side in sides):
            found += [s.value for s in sides if isinstance(s, ast.Constant) and isinstance(s.value, str)]
    return list(dict.fromkeys(found))


def keyed_strings(tree: ast.Module, name: str) -> list[str]:
    """The strings in each function where the parameter (or its attribute) is a key into a table of
    them: `dict(zip(['sigmoid', 'relu'], [sigmoid, relu]))[activation_mode]`."""
    found = []
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        keyed = any(
            isinstance(node, ast.Subscript) and is_named(node.slice, name) for node in ast.walk(function)
        )
        if keyed:
            found += [
                node.value
                for node in ast.walk(function)
                if isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and node.value.isidentifier()
            ]
    return list(dict.fromkeys(found))


def parsed_options(values, option: str, spelling: Spelling) -> dict[str, object]:
    """NAME=EXPR pairs (the command line's list) or a mapping (run.py's) as a dict."""
    if values is None:
        return {}
    if hasattr(values, "items"):
        return {str(k): v for k, v in values.items()}
    pairs = {}
    for value in values:
        name, equals, expression = str(value).partition("=")
        if not equals or not name.strip():
            raise LearnerFileError(
                Finding(
                    "option-form", f"--{option} {value}: write it as NAME=EXPR, e.g. --{option} lmbda=0.0"
                )
            )
        pairs[name.strip()] = expression.strip()
    return pairs
