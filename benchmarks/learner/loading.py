"""A learner's file read as Python 3 can run it, and its definitions loaded without its script part.

A Jupyter notebook (.ipynb, read with nbformat, any format version) is its code
cells in order, as one file; IPython's magics and shell lines (`%matplotlib
inline`, `!pip install ...`) are left out and said, and every line that points
into it names the cell ("net.ipynb cell 7, line 3"). A Python 2 kernel's cells
are read as a Python 2 file is.

Files as learners write them: CRLF line endings, tabs mixed with spaces, bytes
that are not UTF-8 in a comment, Python 2's print statements and `except X, e`.
Each is read as Python 2 or the author's editor meant it, and `notes` says how;
what cannot be read is refused in one line.

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
import sys
import traceback
import types
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.learner.bounded import Bounded, FailedImports
from benchmarks.registry import ROOT
from benchmarks.sourcefile import NOTEBOOK, LearnerFileError, decoded, line_at, notebook_code, parsed, place

EXAMPLE = ROOT / "examples" / "network.py"
PYTHON_2_NAMES = {"xrange": range, "raw_input": input, "unicode": str, "long": int}


@dataclass
class LoadedFile:
    module: types.ModuleType
    path: Path
    tree: ast.Module
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
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
    raise LearnerFileError(f"{path}: no such file; give the path to your network.py")


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


def load_definitions(path: str | Path | None, timeout: float = 0, timeout_option: str = "") -> LoadedFile:
    """The file as a module holding its definitions, and what of it was skipped or adapted; each
    statement run under the time limit (an import of a helper that trains at its top level)."""
    path = resolve(path)
    text, notes = notebook_code(path)[:2] if path.suffix == NOTEBOOK else decoded(path)
    tree, source, adapted = parsed(text, path)
    folder = path.parent.resolve()
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))  # helpers beside the file resolve as when it runs there
    if str(folder.parent) not in sys.path:
        sys.path.append(str(folder.parent))  # `from src.activation import ...`, run from the folder above
    module = types.ModuleType(path.stem)
    module.__file__ = str(path)
    loaded = LoadedFile(module, path, tree, notes=notes + adapted)
    namespace = module.__dict__
    bounded = Bounded(folder, timeout, loaded.failed_imports, timeout_option)
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    namespace.update({name: value for name, value in PYTHON_2_NAMES.items() if name in used})
    deferred = []
    for index, node in enumerate(tree.body):
        kind = type(node)
        if is_main_guard(node):
            loaded.skipped.append(f"{line_at(path, node.lineno)} the `if __name__ == '__main__'` block")
            continue
        definition = kind in (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
        docstring = kind is ast.Expr and isinstance(node.value, ast.Constant)
        imports = kind in (ast.Import, ast.ImportFrom) or (kind is ast.Try and only_imports(node))
        constant = kind in (ast.Assign, ast.AnnAssign) and calls_only_libraries(node, namespace, folder)
        if not (definition or docstring or imports or constant):
            loaded.skipped.append(f"{line_at(path, node.lineno)} `{snippet(source, node)}`")
            continue
        e = bounded_exec(bounded, node, source, path, namespace)
        later = defined_by(tree.body[index + 1 :] + [node for node, _, _ in deferred])
        if isinstance(e, NameError) and e.name in later and may_wait(node, path):
            deferred.append((node, e.name, later[e.name]))  # run again once the cell that defines it has run
            continue
        told(e, node, source, loaded)
    for node, name, definer in deferred:
        rebound = set(defined_by([node])) & set(defined_by([n for n in tree.body if n.lineno > node.lineno]))
        kept = {name: namespace[name] for name in rebound if name in namespace}
        e = bounded_exec(bounded, node, source, path, namespace)
        told(e, node, source, loaded)
        namespace.update(kept)  # a name the file defines again further down keeps that later definition
        if e is None:
            loaded.notes.append(
                f"{line_at(path, node.lineno)} `{snippet(source, node)}` uses `{name}`, which "
                f"{line_at(path, definer.lineno)} `{snippet(source, definer)}` defines and had not run yet: "
                "run after the rest, as when a notebook's cells are run out of order; put it below the cell "
                "it needs, so that Run All works"
            )
    return loaded


def bounded_exec(bounded: Bounded, node: ast.stmt, source: str, path: Path, namespace: dict):
    statement = f"loading `{snippet(source, node)}`"
    return bounded.call(statement, executed, node, path, namespace, at=(path.name, node.lineno))


def told(e: Exception | None, node: ast.stmt, source: str, loaded: LoadedFile) -> None:
    """What a statement's running left: a class recorded, a failed import or a skipped statement said;
    a definition or import that failed for another reason refused in one line."""
    path, namespace, kind = loaded.path, vars(loaded.module), type(node)
    statement = f"`{snippet(source, node)}`"
    definition = kind in (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    imports = kind in (ast.Import, ast.ImportFrom, ast.Try)
    if e is None and kind is ast.ClassDef and isinstance(namespace.get(node.name), type):
        namespace[node.name].__firstlineno__ = node.lineno
        loaded.classes.append(namespace[node.name])
    elif isinstance(e, ImportError):
        why = import_failure(e, node)
        loaded.skipped.append(f"{line_at(path, node.lineno)} {statement} ({why})")
        for name in bound_names(node):
            if name not in namespace:
                loaded.failed_imports.setdefault(name, f"{line_at(path, node.lineno)} {statement}: {why}")
    elif e is not None:
        cause = isinstance(e, NameError) and loaded.failed_imports.cause(e.name)
        if cause and kind in (ast.FunctionDef, ast.AsyncFunctionDef):
            # a decorator from a failed import (`@interact(i=(0, 9))`): the rest of the file is still
            # of use; a later use of the function is told by the import that failed
            where = line_at(path, node.lineno)
            loaded.skipped.append(f"{where} {statement} (uses `{e.name}`: {cause})")
            loaded.failed_imports[node.name] = f"{where} {statement} needed `{e.name}`: {cause}"
            return
        if definition or imports:
            raise LearnerFileError(while_loading(e, loaded, node))
        loaded.skipped.append(f"{line_at(path, node.lineno)} {statement} ({type(e).__name__}: {e})")


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


def import_failure(error: ImportError, node: ast.stmt) -> str:
    """Why an import failed; for CuPy, which needs a CUDA GPU, how to check the file without one."""
    if (error.name or "").split(".")[0] != "cupy":
        return str(error)
    alias = next(iter(bound_names(node)), "cp")
    return (
        f"cupy is not installed here (it keeps the arrays on a CUDA GPU); install cupy-cuda12x where "
        f"there is one, or check the file on the CPU with `import numpy as {alias}` in its place"
    )


def while_loading(error: Exception, loaded: LoadedFile, node: ast.stmt) -> str:
    lines = [f.lineno for f in traceback.extract_tb(error.__traceback__) if f.filename == str(loaded.path)]
    line = lines[-1] if lines else node.lineno
    cause = loaded.failed_imports.cause(getattr(error, "name", None))
    if isinstance(error, NameError) and cause:
        return (
            f"{place(loaded.path, line)} uses `{error.name}`, which was not imported: {cause}; "
            "install it, or put the file where that import works"
        )
    return (
        f"{place(loaded.path, line)}: raised {type(error).__name__} while loading: {error}; "
        "fix that line (the file's definitions must load without its data)"
    )


def learner_source_files(module: types.ModuleType) -> list[Path]:
    """The file, and the modules loaded from its folder (its helpers): the learner's code."""
    folder = Path(module.__file__).resolve().parent
    helpers = [
        m for m in list(sys.modules.values()) if isinstance(m, types.ModuleType) and in_folder(m, folder)
    ]
    return sorted({Path(module.__file__).resolve(), *(Path(m.__file__).resolve() for m in helpers)})
