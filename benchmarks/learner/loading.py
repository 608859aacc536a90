"""A learner's file, read as benchmarks/sources.py reads it, with its definitions loaded without its
script part.

Imports that can be satisfied run (from the file's folder first, as when it is
run there, then from the folder above, for `from src.activation import sigmoid`),
as do functions, classes and constants; a top-level call such as `net.SGD(...)`,
anything that calls the file's own classes or modules, and an
`if __name__ == "__main__":` block do not, and `skipped` says what was left out.
An import that fails is kept in `failed_imports`, so that a NameError it causes
later is told by its real cause.
"""

import ast
import builtins
import importlib.util
import sys
import traceback
import types
from dataclasses import dataclass, field
from pathlib import Path
from unittest.mock import patch

import numpy as np

from ..findings import Finding, LearnerFileError, rule
from ..places import Place, SourceMap
from ..registry import ROOT
from ..sources import NOTEBOOK, pylab_imports, python2_fixes, read_source  # noqa: F401 - tests/test_learners.py imports them here
from .bounded import Bounded, FailedImports, not_imported

EXAMPLE = ROOT / "examples" / "network.py"
PYTHON_2_NAMES = {"xrange": range, "raw_input": input, "unicode": str, "long": int}


@dataclass
class LoadedFile:
    module: types.ModuleType
    path: Path
    tree: ast.Module
    source_map: SourceMap
    skipped: list[Finding] = field(default_factory=list)
    notes: list[Finding] = field(default_factory=list)
    failed_imports: FailedImports = field(default_factory=FailedImports)
    classes: list[type] = field(default_factory=list)  # every class the file defines, a redefined one too


def resolve(path: str | Path | None) -> Path:
    """The file, taken relative to the current folder, else to this project's root."""
    if path is None:
        return EXAMPLE
    path = Path(path).expanduser()
    for candidate in (path, ROOT / path):
        if candidate.is_file():
            return candidate.resolve()
    raise LearnerFileError(
        Finding(
            "no-such-file", f"{path}: no such file; give the path to your network.py", Place(str(path), 0)
        )
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


DEFINITION, IMPORTS, DOCSTRING, CONSTANT, SCRIPT, MAIN_GUARD = (
    "definition",
    "imports",
    "docstring",
    "constant",
    "script",
    "main guard",
)
RUN = (DEFINITION, IMPORTS, DOCSTRING, CONSTANT)  # the kinds of statement that load


def statement_kind(node: ast.stmt, namespace: dict, folder: Path) -> str:
    """What a top-level statement is, which decides whether it runs when the file loads."""
    kind = type(node)
    if is_main_guard(node):
        return MAIN_GUARD
    if kind in (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef):
        return DEFINITION
    if kind is ast.Expr and isinstance(node.value, ast.Constant):
        return DOCSTRING
    if kind in (ast.Import, ast.ImportFrom) or (kind is ast.Try and only_imports(node)):
        return IMPORTS
    if kind in (ast.Assign, ast.AnnAssign) and calls_only_libraries(node, namespace, folder):
        return CONSTANT
    return SCRIPT


def in_folder(module: types.ModuleType, folder: Path) -> bool:
    origin = getattr(module, "__file__", None)
    return bool(origin) and Path(origin).resolve().is_relative_to(folder)


def snippet(source: str, node: ast.stmt) -> str:
    text = " ".join((ast.get_source_segment(source, node) or "").split())
    return text if len(text) <= 40 else text[:37] + "..."


def bound_names(node: ast.stmt) -> list[str]:
    """The names an import statement binds: `np` for `import numpy as np`, `src` for `import src.bp`."""
    imports = [n for n in ast.walk(node) if isinstance(n, ast.Import | ast.ImportFrom)]
    return [
        alias.asname or (alias.name.split(".")[0] if isinstance(i, ast.Import) else alias.name)
        for i in imports
        for alias in i.names
    ]


def executed(node: ast.stmt, path: Path, namespace: dict) -> Exception | None:
    """The statement run in the module's namespace; the exception it raised, or None."""
    try:
        exec(compile(ast.Module(body=[node], type_ignores=[]), str(path), "exec"), namespace)
    except Exception as e:  # told by the caller: an import skipped, a definition refused
        return e
    return None


CUPY_ON_NUMPY = (
    "cupy is not installed here (it keeps the arrays on a CUDA GPU): run on NumPy, whose API CuPy mirrors "
    "(cp.asnumpy returns its array, cp.cuda's synchronize does nothing), so the timings are NumPy's on the "
    "CPU; install cupy-cuda12x where there is a GPU to time it there"
)


@rule("cupy-on-numpy")
def numpy_for_cupy(node: ast.stmt, error: Exception | None) -> types.ModuleType | None:
    """CuPy where it is not installed (it needs a CUDA GPU), imported or failing to import: NumPy stands
    in for it, whose API CuPy mirrors, with cp.asnumpy, cp.get_array_module and cp.cuda's synchronize"""
    failed = isinstance(error, ImportError) and (error.name or "").split(".")[0] == "cupy"
    if not (failed or ("cupy" in imported_modules(node) and importlib.util.find_spec("cupy") is None)):
        return None
    module = types.ModuleType("cupy", CUPY_ON_NUMPY)
    module.__dict__.update({k: v for k, v in vars(np).items() if not k.startswith("__")})
    synchronized = types.SimpleNamespace(synchronize=lambda: None, use=lambda: None)
    module.asnumpy = lambda array, *args, **kwargs: np.asarray(array)
    module.get_array_module = lambda *arrays: np
    module.cuda = types.SimpleNamespace(
        Stream=types.SimpleNamespace(null=synchronized), Device=lambda *args: synchronized
    )
    return module


def imported_modules(node: ast.stmt) -> set[str]:
    """The top-level packages an import statement (or a try of them) imports: `cupy` for `import cupy.x`."""
    imports = [n for n in ast.walk(node) if isinstance(n, ast.Import | ast.ImportFrom)]
    names = [alias.name for i in imports if isinstance(i, ast.Import) for alias in i.names]
    names += [i.module for i in imports if isinstance(i, ast.ImportFrom) and i.module and not i.level]
    return {name.split(".")[0] for name in names}


STAND_INS = (numpy_for_cupy,)  # each: a module standing in for one the statement cannot import here, or None


class Loader:
    """Runs a file's statements that define things, each under the time limit (an import of a helper
    that trains at its top level), and tells what it skipped or could not run."""

    def __init__(self, path: Path, timeout: float, timeout_option: str):
        source, tree = read_source(path)
        self.text, self.map, self.folder = source.text, source.source_map, path.parent.resolve()
        module = types.ModuleType(path.stem)
        module.__file__ = str(path)
        self.loaded = LoadedFile(module, path, tree, source.source_map, notes=source.notes)
        self.namespace = vars(module)
        self.bounded = Bounded(self.folder, timeout, self.loaded.failed_imports, timeout_option, self.map)

    def said(self, node: ast.stmt) -> str:
        """'line 12 `statement`', or in a notebook 'cell 3, line 2 `statement`'."""
        return f"{self.map.line_at(node.lineno)} `{snippet(self.text, node)}`"

    def skip(self, code: str, node: ast.stmt, words: str):
        self.loaded.skipped.append(Finding(code, words, self.map.at(node.lineno)))

    def execute(self, node: ast.stmt) -> Exception | None:
        statement = f"loading `{snippet(self.text, node)}`"
        return self.bounded.call(statement, executed, node, self.loaded.path, self.namespace, at=node.lineno)

    def load(self) -> LoadedFile:
        tree, deferred = self.loaded.tree, []
        used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        self.namespace.update({name: value for name, value in PYTHON_2_NAMES.items() if name in used})
        for index, node in enumerate(tree.body):
            kind = statement_kind(node, self.namespace, self.folder)
            if kind == MAIN_GUARD:
                where = self.map.line_at(node.lineno)
                self.skip("main-guard", node, f"{where} the `if __name__ == '__main__'` block")
                continue
            if kind not in RUN:
                self.skip("script", node, self.said(node))
                continue
            e = self.stood_in(self.execute(node), node)
            later = defined_by(tree.body[index + 1 :] + [node for node, _, _, _ in deferred])
            if isinstance(e, NameError) and e.name in later and may_wait(node, self.loaded.path):
                deferred.append((node, kind, e.name, later[e.name]))  # run again once its definer has run
                continue
            self.told(e, node, kind)
        for waited in deferred:
            self.run_deferred(*waited)
        return self.loaded

    def stood_in(self, e: Exception | None, node: ast.stmt) -> Exception | None:
        """A statement that imports what is not installed here run again with a stand-in for it (STAND_INS),
        with a note; the first run's error where no stand-in serves."""
        for stand_in in STAND_INS:
            if (module := stand_in(node, e)) is None:
                continue
            with patch.dict(sys.modules, {module.__name__: module}):
                if self.execute(node) is None:
                    said = f"{self.said(node)}: {' '.join(module.__doc__.split())}"
                    self.loaded.notes.append(Finding(stand_in.code, said, self.map.at(node.lineno)))
                    return None
        return e

    def run_deferred(self, node: ast.stmt, kind: str, name: str, definer: ast.stmt):
        """A statement that needed a name defined further down, run after the rest, as when a notebook's
        cells run out of order; a name the file defines again further down keeps that later definition."""
        later = [n for n in self.loaded.tree.body if n.lineno > node.lineno]
        rebound = set(defined_by([node])) & set(defined_by(later))
        kept = {name: self.namespace[name] for name in rebound if name in self.namespace}
        e = self.execute(node)
        self.told(e, node, kind)
        self.namespace.update(kept)
        if e is None:
            self.loaded.notes.append(
                Finding(
                    "out-of-order",
                    f"{self.said(node)} uses `{name}`, which {self.said(definer)} defines and had not run "
                    "yet: run after the rest, as when a notebook's cells are run out of order; put it below "
                    "the cell it needs, so that Run All works",
                    self.map.at(node.lineno),
                )
            )

    def told(self, e: Exception | None, node: ast.stmt, kind: str) -> None:
        """What a statement's running left: a class recorded, a failed import or a skipped statement said;
        a definition or import that failed for another reason refused in one line."""
        namespace, where = self.namespace, self.map.line_at(node.lineno)
        statement = f"`{snippet(self.text, node)}`"
        if e is None and isinstance(node, ast.ClassDef) and isinstance(namespace.get(node.name), type):
            namespace[node.name].__firstlineno__ = node.lineno
            self.loaded.classes.append(namespace[node.name])
        elif isinstance(e, ImportError):
            why = str(e)
            self.skip("import-failed", node, f"{where} {statement} ({why})")
            for name in bound_names(node):
                if name not in namespace:
                    self.loaded.failed_imports.setdefault(name, f"{where} {statement}: {why}")
        elif e is not None:
            self.told_error(e, node, kind, f"{where} {statement}")

    def told_error(self, e: Exception, node: ast.stmt, kind: str, said: str) -> None:
        cause = isinstance(e, NameError) and self.loaded.failed_imports.cause(e.name)
        if cause and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            # a decorator from a failed import (`@interact(i=(0, 9))`): the rest of the file is still
            # of use; a later use of the function is told by the import that failed
            self.skip("decorator-not-imported", node, f"{said} (uses `{e.name}`: {cause})")
            self.loaded.failed_imports[node.name] = f"{said} needed `{e.name}`: {cause}"
            return
        if kind in (DEFINITION, IMPORTS):
            raise LearnerFileError(self.while_loading(e, node))
        self.skip("statement-raised", node, f"{said} ({type(e).__name__}: {e})")

    def while_loading(self, error: Exception, node: ast.stmt) -> Finding:
        path = str(self.loaded.path)
        lines = [f.lineno for f in traceback.extract_tb(error.__traceback__) if f.filename == path]
        at = self.map.at(lines[-1] if lines else node.lineno)
        cause = self.loaded.failed_imports.cause(getattr(error, "name", None))
        if isinstance(error, NameError) and cause:
            return not_imported(str(at), error.name, cause)
        return Finding(
            "raised-while-loading",
            f"{at}: raised {type(error).__name__} while loading: {error}; "
            "fix that line (the file's definitions must load without its data)",
            at,
        )


def load_definitions(path: str | Path | None, timeout: float = 0, timeout_option: str = "") -> LoadedFile:
    """The file as a module holding its definitions, and what of it was skipped or adapted."""
    path = resolve(path)
    folder = path.parent.resolve()
    loader = Loader(path, timeout, timeout_option)
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))  # helpers beside the file resolve as when it runs there
    if str(folder.parent) not in sys.path:
        sys.path.append(str(folder.parent))  # `from src.activation import ...`, run from the folder above
    return defined_elsewhere(loader.load(), timeout, timeout_option)


def defined_elsewhere(loaded: LoadedFile, timeout: float, timeout_option: str) -> LoadedFile:
    """A file that defines no class, as the file that defines the class it imports where a rule of
    ELSEWHERE finds it, with a note; the file itself otherwise."""
    if loaded.classes:
        return loaded
    for find in ELSEWHERE:
        if (found := find(loaded)) is None:
            continue
        path, root = found
        if str(root) not in sys.path:
            sys.path.append(str(root))  # the repository's root, from which the file imports its package
        definer = load_definitions(path, timeout, timeout_option)
        words = (
            f"{loaded.path.name} defines no class and imports its class from {path.relative_to(root)}, "
            f"found in {root}: that file is checked, run from {root.name}/ as the notebook imports it"
        )
        definer.notes[:0] = [*loaded.notes, Finding(find.code, words, Place(path.name, 0))]
        return definer
    return loaded


def module_imports(loaded: LoadedFile) -> list[tuple[ast.stmt, str]]:
    """Each top-level import of a module by its absolute name, with the statement: `src.nndl.network` for
    `from src.nndl.network import Network` or `import src.nndl.network`."""
    found = []
    for node in loaded.tree.body:
        for i in (n for n in ast.walk(node) if isinstance(n, ast.Import | ast.ImportFrom)):
            if isinstance(i, ast.ImportFrom):
                found += [(i, i.module)] if i.module and not i.level else []
            else:
                found += [(i, alias.name) for alias in i.names]
    return found


def file_above(folder: Path, module: str) -> tuple[Path, Path] | None:
    """(the module's file, the folder it is found from) where a folder at or above `folder` holds the
    module as a file of its own (src/nndl/network.py for `src.nndl.network`), not beyond a git root."""
    for above in (folder, *folder.parents):
        path = above.joinpath(*module.split(".")).with_suffix(".py")
        if path.is_file() and any(isinstance(n, ast.ClassDef) for n in ast.parse(path.read_bytes()).body):
            return path, above
        if (above / ".git").exists():
            return None
    return None


@rule("class-imported")
def imported_class_file(loaded: LoadedFile) -> tuple[Path, Path] | None:
    """A file that defines no class but imports it from its own repository (a notebook's `from
    src.nndl.network import Network`): the module's file, found at or above the file's folder, is checked;
    where none is found, one line points to it"""
    folder = loaded.path.parent.resolve()
    imports = module_imports(loaded)
    for _, module in imports:
        if (found := file_above(folder, module)) and found[0] != loaded.path.resolve():
            return found
    for node, module in imports:
        names = [a.name for a in node.names] if isinstance(node, ast.ImportFrom) else []
        failed = any(name in loaded.failed_imports for name in bound_names(node))
        if failed and "." in module and (not names or names[0][:1].isupper()):
            at = loaded.source_map.at(node.lineno)
            raise LearnerFileError(
                Finding(
                    "class-imported",
                    f"{at}: {loaded.path.name} defines no class and imports it from {module}, which is not "
                    f"found at or above {folder}; check the file that defines it: "
                    f"python -m benchmarks.learner.check {module.replace('.', '/')}.py",
                    at,
                )
            )
    return None


ELSEWHERE = (imported_class_file,)  # each: where the class of a file that defines none is defined, or None


def may_wait(node: ast.stmt, path: Path) -> bool:
    """Whether a statement that needs a name defined further down may run after the rest: in a notebook,
    whose cells are often run out of order, a definition or the setting of an attribute
    (`Network.feedforward = feedforward`), which rebinds no name that later cells could have used."""
    if path.suffix != NOTEBOOK:
        return False
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return True
    return isinstance(node, ast.Assign) and all(isinstance(t, ast.Attribute) for t in node.targets)


def defined_by(nodes: list[ast.stmt]) -> dict[str, ast.stmt]:
    """Each name the statements bind at the top level (a def, a class, an import, an assignment's
    target), with the first statement that binds it."""
    names = {}
    for node in nodes:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound = [node.name]
        elif isinstance(node, ast.Import | ast.ImportFrom):
            bound = bound_names(node)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            bound = [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
        else:
            bound = []
        for name in bound:
            names.setdefault(name, node)
    return names


def learner_source_files(module: types.ModuleType) -> list[Path]:
    """The file, and the modules loaded from its folder (its helpers): the learner's code."""
    folder = Path(module.__file__).resolve().parent
    helpers = [
        m for m in list(sys.modules.values()) if isinstance(m, types.ModuleType) and in_folder(m, folder)
    ]
    return sorted({Path(module.__file__).resolve(), *(Path(m.__file__).resolve() for m in helpers)})
