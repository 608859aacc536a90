"""Your own network.py, written from the book, run as a backend with no change to it.

It asks only what every such file has: a class built as `Network(sizes)`, with
`weights` (arrays of shape (n_out, n_in)) and `biases` ((n_out, 1)), a
`feedforward(a)` for one input column and an `update_mini_batch(mini_batch, eta)`
for a list of (x, y) column pairs. Common other names for these methods are
found too, and a `backprop(x, y)` returning (nabla_b, nabla_w) is used where
there is one.

The file's definitions are loaded without running its script part: imports
that can be satisfied (from its own folder first, as when you run it there),
functions, classes and constants run; a top-level call such as `net.SGD(...)`,
anything that calls the file's own classes or modules, and an
`if __name__ == "__main__":` block do not, and `skipped` says what was left out.
"""

import ast
import builtins
import sys
import traceback
import types
from pathlib import Path

import numpy as np

from benchmarks.errors import UserError
from benchmarks.registry import ROOT

EXAMPLE = ROOT / "examples" / "network.py"
METHODS = {
    "feedforward": ("feedforward", "feed_forward", "feedForward", "forward"),
    "update_mini_batch": ("update_mini_batch", "updateMiniBatch", "update_batch", "update"),
    "backprop": ("backprop", "backpropagation", "backpropagate", "back_prop", "backProp", "backward"),
}
REQUIRED = ("feedforward", "update_mini_batch")


class LearnerFileError(UserError):
    """The file cannot be used at all; the message says what is wrong and how to fix it."""


def resolve(path: str | Path | None) -> Path:
    """The file, taken relative to the current folder, else to this project's root."""
    if path is None:
        return EXAMPLE
    path = Path(path).expanduser()
    for candidate in (path, ROOT / path):
        if candidate.is_file():
            return candidate.resolve()
    raise LearnerFileError(f"{path}: no such file; give the path to your network.py")


def python2_hint(error: SyntaxError, name: str) -> str:
    line = (error.text or "").strip()
    if "print" in (error.msg or "") or line.startswith("print ") or line.startswith('print"'):
        what = "print statement"
    elif line.startswith("except") and "," in line:
        what = "'except X, e:'"
    else:
        return f"{name} is not valid Python 3 (line {error.lineno}: {error.msg}); fix that line and try again"
    return (
        f"{name} is Python 2 ({what} at line {error.lineno}): run it through 2to3 "
        f"(`2to3 -w {name}`) or port it to Python 3"
    )


def is_main_guard(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.If)
        and "__name__" in ast.unparse(node.test)
        and "__main__" in ast.unparse(node.test)
    )


def only_imports(node: ast.stmt) -> bool:
    inside = [n for n in ast.walk(node) if isinstance(n, ast.stmt) and n is not node]
    return all(isinstance(n, ast.Import | ast.ImportFrom | ast.Pass) for n in inside)


def calls_only_libraries(node: ast.stmt, namespace: dict, folder: Path) -> bool:
    """Whether every call in the statement goes to a builtin or to a module installed outside
    the file's folder, so that it defines a constant rather than running the script."""
    for call in (n for n in ast.walk(node) if isinstance(n, ast.Call)):
        root = call.func
        while isinstance(root, ast.Attribute):
            root = root.value
        if not isinstance(root, ast.Name):
            return False
        if root.id in namespace:
            target = namespace[root.id]
            if not isinstance(target, types.ModuleType) or in_folder(target, folder):
                return False  # the file's own functions and classes, or its own modules
        elif not hasattr(builtins, root.id):
            return False
    return True


def in_folder(module: types.ModuleType, folder: Path) -> bool:
    origin = getattr(module, "__file__", None)
    return bool(origin) and Path(origin).resolve().is_relative_to(folder)


def snippet(source: str, node: ast.stmt) -> str:
    text = " ".join((ast.get_source_segment(source, node) or "").split())
    return text if len(text) <= 40 else text[:37] + "..."


def load_definitions(path: str | Path | None) -> tuple[types.ModuleType, list[str]]:
    """The file as a module holding its definitions, and what of its top level was skipped."""
    path = resolve(path)
    source = path.read_text()
    try:
        tree = ast.parse(source, filename=str(path))
    except SyntaxError as e:
        raise LearnerFileError(python2_hint(e, path.name)) from None
    folder = path.parent.resolve()
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))  # helpers beside the file resolve as when it runs there
    module = types.ModuleType(path.stem)
    module.__file__ = str(path)
    namespace = module.__dict__
    if "xrange" in {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}:
        namespace["xrange"] = range
    skipped = []
    for node in tree.body:
        kind = type(node)
        if is_main_guard(node):
            skipped.append(f"line {node.lineno} the `if __name__ == '__main__'` block")
            continue
        definition = kind in (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
        docstring = kind is ast.Expr and isinstance(node.value, ast.Constant)
        imports = kind in (ast.Import, ast.ImportFrom) or (kind is ast.Try and only_imports(node))
        constant = kind in (ast.Assign, ast.AnnAssign) and calls_only_libraries(node, namespace, folder)
        if not (definition or docstring or imports or constant):
            skipped.append(f"line {node.lineno} `{snippet(source, node)}`")
            continue
        try:
            exec(compile(ast.Module(body=[node], type_ignores=[]), str(path), "exec"), namespace)
        except ImportError as e:
            skipped.append(f"line {node.lineno} `{snippet(source, node)}` ({e})")
        except Exception as e:
            if definition or imports:
                lines = [f.lineno for f in traceback.extract_tb(e.__traceback__) if f.filename == str(path)]
                raise LearnerFileError(
                    f"{path.name} raised {type(e).__name__} at line {lines[-1] if lines else node.lineno} "
                    f"while loading: {e}"
                ) from None
            skipped.append(f"line {node.lineno} `{snippet(source, node)}` ({type(e).__name__}: {e})")
    return module, skipped


def find_class(module: types.ModuleType, name: str | None) -> type:
    classes = {
        k: v for k, v in vars(module).items() if isinstance(v, type) and v.__module__ == module.__name__
    }
    file = Path(module.__file__).name
    if name:
        if name not in classes:
            listed = ", ".join(sorted(classes)) or "none"
            raise LearnerFileError(
                f"{file} has no class {name} (its classes: {listed}); pass the right --class"
            )
        return classes[name]
    if "Network" in classes:
        return classes["Network"]
    usable = [c for c in classes.values() if method(c, "update_mini_batch", required=False)]
    if len(usable) == 1:
        return usable[0]
    listed = ", ".join(sorted(classes)) or "none"
    raise LearnerFileError(f"{file} has no class Network (its classes: {listed}); pass --class NAME")


def method(cls: type, role: str, required: bool = True) -> str | None:
    """The name under which the class has this method, e.g. 'backpropagation' for backprop."""
    for name in METHODS[role]:
        if callable(getattr(cls, name, None)):
            return name
    if required:
        tried = ", ".join(METHODS[role])
        raise LearnerFileError(
            f"class {cls.__name__} has no {role} method (looked for {tried}); "
            f"the tool needs {role} as in the book's network.py"
        )
    return None


def learner_source_files(module: types.ModuleType) -> list[Path]:
    """The file, and the modules loaded from its folder (its helpers): the learner's code."""
    folder = Path(module.__file__).resolve().parent
    helpers = [
        m for m in list(sys.modules.values()) if isinstance(m, types.ModuleType) and in_folder(m, folder)
    ]
    return sorted({Path(module.__file__).resolve(), *(Path(m.__file__).resolve() for m in helpers)})


class YourNetwork:
    """The harness's interface over a learner's Network, which keeps its own arrays and code."""

    devices = ("cpu",)
    framework = "numpy"

    def __init__(self, params, train_x, train_y, device="cpu", dtype="float32", path=None, class_name=None):
        self.dtype = np.dtype(dtype)
        self.module, self.skipped = load_definitions(path)
        self.cls = find_class(self.module, class_name)
        self.names = {role: method(self.cls, role, required=role in REQUIRED) for role in METHODS}
        sizes = [params[0].shape[1]] + [w.shape[0] for w in params[0::2]]
        self.n_out = sizes[-1]
        self.net = self.cls(sizes)
        self.set_parameters(params)
        self.train_pairs = list(zip(self.columns(train_x), self.targets(train_y)))

    @staticmethod
    def check_options(path=None, class_name=None):
        """Raise LearnerFileError, before any run, when the file cannot be used."""
        module, _ = load_definitions(path)
        cls = find_class(module, class_name)
        for role in REQUIRED:
            method(cls, role)

    def source_files(self) -> list[Path]:
        return learner_source_files(self.module)

    def call(self, role, *args):
        return getattr(self.net, self.names[role])(*args)

    def set_parameters(self, params):
        """Weights as given and biases as columns, in the shapes the learner's constructor made
        (some files keep weights as (n_in, n_out) or biases as flat vectors)."""
        for attribute in ("weights", "biases"):
            if not isinstance(getattr(self.net, attribute, None), list | tuple):
                raise LearnerFileError(f"class {self.cls.__name__} keeps no list `self.{attribute}`")
        own_w, own_b = self.net.weights[0], self.net.biases[0]
        self.transposed = np.shape(own_w) == params[0].T.shape != params[0].shape
        self.flat_biases = np.ndim(own_b) == 1
        self.net.weights = [(w.T if self.transposed else w).astype(self.dtype) for w in params[0::2]]
        shape = (lambda b: b.shape) if self.flat_biases else (lambda b: (-1, 1))
        self.net.biases = [b.reshape(shape(b)).astype(self.dtype) for b in params[1::2]]

    def columns(self, x):
        return [row.reshape(-1, 1) for row in np.asarray(x, dtype=self.dtype)]

    def targets(self, labels):
        return [np.eye(self.n_out, dtype=self.dtype)[:, [label]] for label in labels]

    def place(self, x, y):
        return self.columns(x), list(y)

    def train_epoch(self, order, batch_size, eta):
        with np.errstate(over="ignore"):  # exp(-z) -> inf gives sigmoid 0, as it should
            for k in range(0, len(order), batch_size):
                self.call("update_mini_batch", [self.train_pairs[i] for i in order[k : k + batch_size]], eta)

    def forward(self, x):
        with np.errstate(over="ignore"):
            return [self.call("feedforward", xi) for xi in x]

    def gradients(self, x, y):
        """Sums over the examples of dC/dW and dC/db: from backprop where the file has one,
        else from one-example updates, each undone (p0 - p1 = eta * gradient, eta = 1)."""
        grads = [np.zeros_like(p) for p in self.parameters()]
        for xi, yi in zip(x, self.targets(y)):
            if self.names["backprop"]:
                with np.errstate(over="ignore"):
                    nabla_b, nabla_w = self.call("backprop", xi, yi)
                step = [g for nw, nb in zip(nabla_w, nabla_b) for g in (np.asarray(nw), np.ravel(nb))]
                step = [g.T if self.transposed and g.ndim == 2 else g for g in step]
            else:
                before = self.parameters()
                with np.errstate(over="ignore"):
                    self.call("update_mini_batch", [(xi, yi)], 1.0)
                step = [p0 - p1 for p0, p1 in zip(before, self.parameters())]
                self.set_parameters(before)
            grads = [g + s.reshape(g.shape) for g, s in zip(grads, step)]
        return grads

    def evaluate(self, x, y):
        return sum(int(np.argmax(out) == label) for out, label in zip(self.forward(x), y))

    def cost(self, x, y):
        total = 0.0
        for out, target in zip(self.forward(x), self.targets(y)):
            diff = np.ravel(out).astype(np.float64) - np.ravel(target)
            total += 0.5 * float(diff @ diff)
        return total / len(x)

    def parameters(self):
        params = []
        for w, b in zip(self.net.weights, self.net.biases):
            w = np.asarray(w, dtype=np.float64)
            params += [w.T if self.transposed else w, np.ravel(b).astype(np.float64)]
        return params

    def synchronize(self):
        pass
