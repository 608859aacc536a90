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
import io
import json
import re
import sys
import tokenize
import traceback
import types
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from benchmarks.errors import UserError
from benchmarks.learner.bounded import Bounded, FailedImports
from benchmarks.learner.places import CELL_LINES, line_at, lines_at, place
from benchmarks.registry import ROOT

EXAMPLE = ROOT / "examples" / "network.py"
PYTHON_2_NAMES = {"xrange": range, "raw_input": input, "unicode": str, "long": int}
NOTEBOOK = ".ipynb"
# A line IPython reads as a magic or a shell command: `%time f()`, `!pip install x`, `files = !ls`, `np.dot?`
IPYTHON_LINE = re.compile(r"\s*([%!]|[\w.]+\s*=\s*[%!]\S|[\w.]+\?\??\s*$)")
# Cell magics whose body is Python that runs as written; any other (%%bash, %%writefile) leaves its cell out
PYTHON_CELL_MAGICS = ("%%time", "%%timeit", "%%capture", "%%prun")
# `%pylab`, in a notebook or as a script exported from one, and the imports IPython makes for it
PYLAB = re.compile(r"""\s*(%pylab\b|get_ipython\(\)\.(run_line_magic\(|magic\()\s*['"]pylab\b)(?P<rest>.*)""")
PYLAB_IMPORTS = (
    "import numpy; import matplotlib; from matplotlib import pylab, mlab, pyplot; "
    "import numpy as np; import matplotlib.pyplot as plt"
)
PYLAB_STAR_IMPORTS = "; from pylab import *; from numpy import *"


def pylab_imports(line: str) -> str | None:
    """The imports that stand for a `%pylab` line, on one line; None for any other line."""
    if not (match := PYLAB.match(line)):
        return None
    return PYLAB_IMPORTS + ("" if "--no-import-all" in match["rest"] else PYLAB_STAR_IMPORTS)


class LearnerFileError(UserError):
    """The file cannot be used at all; the message says what is wrong and how to fix it."""


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


def notebook_code(path: Path) -> tuple[str, list[str], bool]:
    """A notebook's code cells as one text, its magics and shell lines left out; the notes saying so,
    and whether its kernel is Python 2. Each line's cell is kept in CELL_LINES."""
    text = path.read_bytes().decode("utf-8", errors="replace")
    try:
        json.loads(text)
    except json.JSONDecodeError as e:
        raise LearnerFileError(
            f"{path.name} line {e.lineno}, column {e.colno}: not valid JSON ({e.msg}), so not a notebook "
            "Jupyter can open; mend that place (an unfinished hand edit or merge leaves such marks), or "
            "give a .py file with the same code"
        ) from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # nbformat's warnings on missing cell ids and the like
            notebook = nbformat.reads(text, as_version=nbformat.NO_CONVERT)
            notebook = nbformat.convert(notebook, 4)
    except Exception as e:  # nbformat's many ways of saying that JSON is not a notebook
        raise LearnerFileError(
            f"{path.name} is JSON but not a Jupyter notebook ({type(e).__name__}: {str(e)[:120]}); "
            "give the notebook Jupyter saved, or a .py file"
        ) from None
    metadata = notebook.get("metadata", {})
    kernel = metadata.get("kernelspec", {}).get("name", "")
    kernel += " " + str(metadata.get("language_info", {}).get("version", ""))
    python2 = bool(re.search(r"python2|(^|\s)2\.\d", kernel))
    lines, cells, left_out, pylab, indented = [], [], [], [], []
    for number, cell in enumerate(notebook.cells, start=1):
        if cell.cell_type != "code":
            continue
        source = cell.source.replace("\r\n", "\n").split("\n")
        if indent := leading_indent(source):
            source = [line.removeprefix(indent) for line in source]
            indented.append(f"cell {number} ({len(indent.expandtabs(8))} columns)")
        first = source[0].strip()
        if first.startswith("%%"):
            left_out.append(f"cell {number}, line 1 `{first[:40]}`")
            if not first.startswith(PYTHON_CELL_MAGICS):
                continue
            source[0] = ""
        for within, line in enumerate(source, start=1):
            if imports := pylab_imports(line):
                pylab.append(f"cell {number}, line {within}")
                line = imports
            elif IPYTHON_LINE.match(line):
                left_out.append(f"cell {number}, line {within} `{line.strip()[:40]}`")
                indent = line[: len(line) - len(line.lstrip())]
                line = f"{indent}pass" if indent else ""
            lines.append(line)
            cells.append((number, within))
        lines.append("")
        cells.append((number, len(source) + 1))
    CELL_LINES[path.name] = cells
    code_cells = sum(cell.cell_type == "code" for cell in notebook.cells)
    notes = [f"a notebook: its {code_cells} code cells read in order as one file"]
    if python2:
        notes.append("its kernel is Python 2: its cells read as a Python 2 file is read")
    if pylab:
        notes.append(pylab_note(pylab))
    if left_out:
        notes.append(f"left out {len(left_out)} IPython magic and shell lines: {'; '.join(left_out)}")
    if indented:
        notes.append(
            f"{', '.join(indented)} start{'s' * (len(indented) == 1)} indented: read without that "
            "indentation, as IPython runs a cell"
        )
    return "\n".join(lines), notes, python2


def leading_indent(source: list[str]) -> str:
    """The indentation of a cell's first line that is not blank, which IPython takes off each of its
    lines that starts with it (its leading_indent transformation); '' where there is none."""
    first = next((line for line in source if line.strip()), "")
    return first[: len(first) - len(first.lstrip())]


def pylab_note(places: list[str]) -> str:
    return (
        f"%pylab ({', '.join(places)}): run as the imports IPython makes for it, numpy and matplotlib's "
        "pylab, their names imported with *"
    )


def script_pylab(text: str) -> tuple[str, list[str]]:
    """A .py file exported from a notebook, its `get_ipython().run_line_magic('pylab', ...)` lines made the
    imports they stand for; a note saying so."""
    lines, places = text.split("\n"), []
    for index, line in enumerate(lines):
        if imports := pylab_imports(line):
            lines[index] = imports
            places.append(f"line {index + 1}")
    return "\n".join(lines), [pylab_note(places)] if places else []


def decoded(path: Path) -> tuple[str, list[str]]:
    """The file's text with '\\n' line endings and its %pylab lines made imports, and a note when its
    bytes are not its encoding's."""
    data = path.read_bytes()
    if b"\0" in data:
        line = data[: data.index(b"\0")].count(b"\n") + 1
        raise LearnerFileError(
            f"{path.name} line {line}: a NUL byte, so this is not a Python source file; "
            "give the path to your network.py"
        )
    try:
        encoding = tokenize.detect_encoding(io.BytesIO(data).readline)[0]
        text, notes = data.decode(encoding), []
    except (SyntaxError, LookupError, UnicodeDecodeError) as e:
        start = getattr(e, "start", 0)
        line = data[:start].count(b"\n") + 1
        text = data.decode("latin-1")
        notes = [
            f"line {line} holds bytes that are not UTF-8 (0x{data[start]:02x}), as an editor saving Latin-1 "
            "or Windows-1252 writes them: read as Latin-1"
        ]
    text, pylab = script_pylab(text.replace("\r\n", "\n").replace("\r", "\n"))
    return text, notes + pylab


def python2_hint(error: SyntaxError, path: Path) -> str:
    name, line = path.name, (error.text or "").strip()
    if "print" in (error.msg or "") or line.startswith("print ") or line.startswith('print"'):
        what = "print statement"
    elif line.startswith("except") and "," in line:
        what = "'except X, e:'"
    else:
        return f"{place(path, error.lineno)}: not valid Python 3 ({error.msg}); fix that line and try again"
    return (
        f"{name} is Python 2 ({what} at {line_at(path, error.lineno)}): run it through 2to3 "
        f"(`2to3 -w {name}`) or port it to Python 3"
    )


def statement_ends(tokens: list[tokenize.TokenInfo], start: int) -> int:
    """Index of the token that ends the statement begun at tokens[start]: a NEWLINE, a `;` or a
    comment outside brackets."""
    depth = 0
    for k in range(start, len(tokens)):
        token = tokens[k]
        if token.type == tokenize.OP and token.string in "([{":
            depth += 1
        elif token.type == tokenize.OP and token.string in ")]}":
            depth -= 1
        elif depth == 0 and (
            token.type in (tokenize.NEWLINE, tokenize.COMMENT, tokenize.ENDMARKER)
            or (token.type == tokenize.OP and token.string in (";", ":"))
        ):
            return k
    return len(tokens) - 1


def top_level_commas(tokens, start: int, end: int) -> list[int]:
    depth, commas = 0, []
    for k in range(start, end):
        if tokens[k].type == tokenize.OP:
            depth += tokens[k].string in "([{"
            depth -= tokens[k].string in ")]}"
            if depth == 0 and tokens[k].string == ",":
                commas.append(k)
    return commas


def python2_fixes(text: str) -> tuple[str, dict[str, list[int]]]:
    """The text with Python 2's print statements, `except X, e:` and `raise E, message` written as
    Python 3 writes them, as 2to3 would, and the lines of each; ({}) when there is nothing to fix."""
    tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    offsets = [0]
    for line in text.splitlines(keepends=True):
        offsets.append(offsets[-1] + len(line))

    def at(position):
        return offsets[position[0] - 1] + position[1]

    edits, fixed = [], {}
    starts = (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.NL)
    for k, token in enumerate(tokens):
        previous = tokens[k - 1] if k else None
        at_start = previous is None or previous.type in starts or previous.string in (";", ":")
        if not (at_start and token.type == tokenize.NAME):
            continue
        following = tokens[k + 1]
        if token.string == "print" and following.string not in ("(", "=", "."):
            end = statement_ends(tokens, k + 1)
            arguments = text[at(token.end) : at(tokens[end].start)].strip()
            target = ""
            if arguments.startswith(">>"):
                target, _, arguments = arguments[2:].partition(",")
                target = f"file={target.strip()}"
            ending = 'end=" "' if arguments.endswith(",") else ""
            parts = [part for part in (arguments.rstrip(",").strip(), ending, target) if part]
            edits.append((at(token.start), at(tokens[end].start), f"print({', '.join(parts)})"))
            fixed.setdefault("print(...)", []).append(token.start[0])
        elif token.string in ("except", "raise"):
            end = statement_ends(tokens, k + 1)
            commas = top_level_commas(tokens, k + 1, end)
            if len(commas) != 1:
                continue
            comma = tokens[commas[0]]
            if token.string == "except":
                edits.append((at(comma.start), at(comma.end), " as"))
                fixed.setdefault("`except X as e`", []).append(token.start[0])
            else:
                message = text[at(comma.end) : at(tokens[end].start)].strip()
                edits.append((at(comma.start), at(tokens[end].start), f"({message})"))
                fixed.setdefault("`raise E(message)`", []).append(token.start[0])
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text, fixed


def parsed(text: str, path: Path) -> tuple[ast.Module, str, list[str]]:
    """The syntax tree, the text it was read from and how that text was adapted: tabs mixed with
    spaces expanded as Python 2 read them, Python 2's statements written as Python 3's."""
    notes, first_error = [], None
    while True:
        try:
            return ast.parse(text, filename=str(path)), text, notes
        except TabError:
            if any("tabs" in note for note in notes):
                raise LearnerFileError(python2_hint(first_error or sys.exc_info()[1], path)) from None
            text = "\n".join(line.expandtabs(8) if line[:1] in " \t" else line for line in text.split("\n"))
            notes.append("tabs mixed with spaces: tabs read as every 8 columns, as Python 2 did")
        except SyntaxError as error:
            first_error = first_error or error
            fixed = None
            if not any("Python 2" in note for note in notes):
                try:
                    text, fixed = python2_fixes(text)
                except (SyntaxError, tokenize.TokenError):
                    fixed = None
            if not fixed:
                raise LearnerFileError(python2_hint(first_error, path)) from None
            how = "; ".join(f"{what} at {lines_at(path, lines)}" for what, lines in fixed.items())
            notes.append(f"Python 2: read as 2to3 would write it: {how}")


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


def source_text(path: Path) -> str:
    """The Python a learner's file runs as: a notebook's code cells joined, Python 2 rewritten."""
    path = Path(path)
    text = notebook_code(path)[0] if path.suffix == NOTEBOOK else decoded(path)[0]
    return parsed(text, path)[1]


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
