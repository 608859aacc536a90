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
import importlib.util
import io
import json
import re
import sys
import tokenize
import traceback
import types
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from unittest.mock import patch

import nbformat
import numpy as np

from ..registry import ROOT
from .bounded import Bounded, FailedImports, not_imported
from .findings import Finding, LearnerFileError, rule
from .places import Place, SourceMap

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


@dataclass
class Source:
    """The text of a learner's file as it is being read: what was adapted, and where its lines stand."""

    path: Path
    text: str
    source_map: SourceMap
    notes: list[Finding] = field(default_factory=list)


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


def notebook_json(path: Path):
    """The notebook as nbformat reads it (version 4); one line where it is not valid JSON or no notebook."""
    text = path.read_bytes().decode("utf-8", errors="replace")
    try:
        json.loads(text)
    except json.JSONDecodeError as e:
        raise LearnerFileError(
            Finding(
                "notebook-not-json",
                f"{path.name} line {e.lineno}, column {e.colno}: not valid JSON ({e.msg}), so not a notebook "
                "Jupyter can open; mend that place (an unfinished hand edit or merge leaves such marks), or "
                "give a .py file with the same code",
                Place(path.name, e.lineno),
            )
        ) from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # nbformat's warnings on missing cell ids and the like
            return nbformat.convert(nbformat.reads(text, as_version=nbformat.NO_CONVERT), 4)
    except Exception as e:  # nbformat's many ways of saying that JSON is not a notebook
        raise LearnerFileError(
            Finding(
                "not-a-notebook",
                f"{path.name} is JSON but not a Jupyter notebook ({type(e).__name__}: {str(e)[:120]}); "
                "give the notebook Jupyter saved, or a .py file",
            )
        ) from None


def python2_kernel(notebook) -> bool:
    metadata = notebook.get("metadata", {})
    kernel = metadata.get("kernelspec", {}).get("name", "")
    kernel += " " + str(metadata.get("language_info", {}).get("version", ""))
    return bool(re.search(r"python2|(^|\s)2\.\d", kernel))


def leading_indent(source: list[str]) -> str:
    """The indentation of a cell's first line that is not blank, which IPython takes off each of its
    lines that starts with it (its leading_indent transformation); '' where there is none."""
    first = next((line for line in source if line.strip()), "")
    return first[: len(first) - len(first.lstrip())]


@dataclass
class CellsRead:
    """What the notebook's cell rules did, each a list of the places it acted on."""

    indented: list[str] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)
    pylab: list[str] = field(default_factory=list)


@rule("indented-cells")
def without_indent(number: int, source: list[str], read: CellsRead) -> list[str] | None:
    """A cell that starts indented, read without that indentation, as IPython runs it."""
    if indent := leading_indent(source):
        read.indented.append(f"cell {number} ({len(indent.expandtabs(8))} columns)")
        return [line.removeprefix(indent) for line in source]
    return source


@rule("cell-magic")
def cell_magic(number: int, source: list[str], read: CellsRead) -> list[str] | None:
    """A cell magic's line left out; its cell too, unless its body is Python run as written (%%time)."""
    first = source[0].strip()
    if not first.startswith("%%"):
        return source
    read.left_out.append(f"cell {number}, line 1 `{first[:40]}`")
    return None if not first.startswith(PYTHON_CELL_MAGICS) else ["", *source[1:]]


@rule("pylab")
def pylab_line(place: str, line: str, read: CellsRead) -> str:
    """`%pylab` made the imports IPython makes for it."""
    if imports := pylab_imports(line):
        read.pylab.append(place)
        return imports
    return line


@rule("ipython-lines")
def magic_line(place: str, line: str, read: CellsRead) -> str:
    """Another magic or a shell line left out (`pass` where it is indented)."""
    if IPYTHON_LINE.match(line):
        read.left_out.append(f"{place} `{line.strip()[:40]}`")
        indent = line[: len(line) - len(line.lstrip())]
        return f"{indent}pass" if indent else ""
    return line


CELL_RULES = (without_indent, cell_magic)  # each: the cell's lines, or None to leave the cell out
LINE_RULES = (pylab_line, magic_line)  # each: a line of a code cell as Python


def notebook_code(path: Path) -> Source:
    """A notebook's code cells as one text, its magics and shell lines left out, with the notes saying
    so and the cell and line of each line read."""
    notebook, read = notebook_json(path), CellsRead()
    lines, cells = [], []
    for number, cell in enumerate(notebook.cells, start=1):
        source = cell.source.replace("\r\n", "\n").split("\n") if cell.cell_type == "code" else None
        for cell_rule in CELL_RULES:
            source = source and cell_rule(number, source, read)
        if source is None:
            continue
        for within, line in enumerate(source, start=1):
            for line_rule in LINE_RULES:
                line = line_rule(f"cell {number}, line {within}", line, read)
            lines.append(line)
            cells.append((number, within))
        lines.append("")
        cells.append((number, len(source) + 1))
    source = Source(path, "\n".join(lines), SourceMap.of(path, cells))
    source.notes = notebook_notes(notebook, read)
    return source


def notebook_notes(notebook, read: CellsRead) -> list[Finding]:
    code_cells = sum(cell.cell_type == "code" for cell in notebook.cells)
    notes = [Finding("notebook", f"a notebook: its {code_cells} code cells read in order as one file")]
    if python2_kernel(notebook):
        notes.append(
            Finding("python2-kernel", "its kernel is Python 2: its cells read as a Python 2 file is read")
        )
    if read.pylab:
        notes.append(pylab_note(read.pylab))
    if read.left_out:
        listed = "; ".join(read.left_out)
        notes.append(
            Finding("ipython-lines", f"left out {len(read.left_out)} IPython magic and shell lines: {listed}")
        )
    if read.indented:
        notes.append(
            Finding(
                "indented-cells",
                f"{', '.join(read.indented)} start{'s' * (len(read.indented) == 1)} indented: read without "
                "that indentation, as IPython runs a cell",
            )
        )
    return notes


def pylab_note(places: list[str]) -> Finding:
    return Finding(
        "pylab",
        f"%pylab ({', '.join(places)}): run as the imports IPython makes for it, numpy and matplotlib's "
        "pylab, their names imported with *",
    )


@rule("nul-byte")
def no_nul_bytes(source: Source, data: bytes):
    """A file with a NUL byte is no Python source file (a compiled or binary file given by mistake)."""
    if b"\0" in data:
        line = data[: data.index(b"\0")].count(b"\n") + 1
        raise LearnerFileError(
            Finding(
                "nul-byte",
                f"{source.path.name} line {line}: a NUL byte, so this is not a Python source file; "
                "give the path to your network.py",
                Place(source.path.name, line),
            )
        )


@rule("latin-1")
def in_its_encoding(source: Source, data: bytes):
    """The bytes read in the encoding the file declares (UTF-8 without one), else as Latin-1, as an editor
    saving Latin-1 or Windows-1252 writes them."""
    try:
        source.text = data.decode(tokenize.detect_encoding(io.BytesIO(data).readline)[0])
    except (SyntaxError, LookupError, UnicodeDecodeError) as e:
        start = getattr(e, "start", 0)
        line = data[:start].count(b"\n") + 1
        source.text = data.decode("latin-1")
        source.notes.append(
            Finding(
                "latin-1",
                f"line {line} holds bytes that are not UTF-8 (0x{data[start]:02x}), as an editor saving "
                "Latin-1 or Windows-1252 writes them: read as Latin-1",
                Place(source.path.name, line),
            )
        )


@rule("line-endings")
def unix_line_endings(source: Source, data: bytes):
    """Windows' CRLF and old Macs' CR line endings read as '\\n'."""
    source.text = source.text.replace("\r\n", "\n").replace("\r", "\n")


@rule("pylab-exported")
def exported_pylab(source: Source, data: bytes):
    """A .py file exported from a notebook: its `get_ipython().run_line_magic('pylab', ...)` lines made the
    imports they stand for."""
    lines, places = source.text.split("\n"), []
    for index, line in enumerate(lines):
        if imports := pylab_imports(line):
            lines[index] = imports
            places.append(f"line {index + 1}")
    source.text = "\n".join(lines)
    source.notes += [pylab_note(places)] if places else []


FILE_RULES = (no_nul_bytes, in_its_encoding, unix_line_endings, exported_pylab)  # each reads or adapts


def decoded(path: Path) -> Source:
    """A .py file's text as FILE_RULES read it, with a note for each adaptation."""
    source, data = Source(path, "", SourceMap.of(path)), path.read_bytes()
    for file_rule in FILE_RULES:
        file_rule(source, data)
    return source


def python2_hint(error: SyntaxError, source: Source) -> LearnerFileError:
    """The refusal of a file Python 3 cannot read: Python 2, by the statement Python 3 stopped at."""
    name, code, at = source.path.name, (error.text or "").strip(), source.source_map.at(error.lineno)
    if "print" in (error.msg or "") or code.startswith("print ") or code.startswith('print"'):
        what = "print statement"
    elif code.startswith("except") and "," in code:
        what = "'except X, e:'"
    else:
        words = f"{at}: not valid Python 3 ({error.msg}); fix that line and try again"
        return LearnerFileError(Finding("not-python-3", words, at))
    return LearnerFileError(
        Finding(
            "python-2-file",
            f"{name} is Python 2 ({what} at {at.at}): run it through 2to3 (`2to3 -w {name}`) or port it to "
            "Python 3",
            at,
        )
    )


def at_depth_zero(tokens: list[tokenize.TokenInfo], start: int, end: int | None = None):
    """(index, token) for each token from `start` outside brackets, the brackets themselves left out."""
    depth = 0
    for k in range(start, len(tokens) if end is None else end):
        token = tokens[k]
        if token.type == tokenize.OP and token.string in "([{":
            depth += 1
        elif token.type == tokenize.OP and token.string in ")]}":
            depth -= 1
        elif depth == 0:
            yield k, token


def statement_ends(tokens: list[tokenize.TokenInfo], start: int) -> int:
    """Index of the token that ends the statement begun at tokens[start]: a NEWLINE, a `;` or a
    comment outside brackets."""
    ends = (tokenize.NEWLINE, tokenize.COMMENT, tokenize.ENDMARKER)
    return next(
        (
            k
            for k, token in at_depth_zero(tokens, start)
            if token.type in ends or (token.type == tokenize.OP and token.string in (";", ":"))
        ),
        len(tokens) - 1,
    )


def closing(tokens: list[tokenize.TokenInfo], opening: int) -> int | None:
    """Index of the bracket that closes the one at tokens[opening]; None where none does."""
    depth = 0
    for k in range(opening, len(tokens)):
        if tokens[k].type == tokenize.OP and tokens[k].string in ("(", "[", "{"):
            depth += 1
        elif tokens[k].type == tokenize.OP and tokens[k].string in (")", "]", "}"):
            depth -= 1
            if depth == 0:
                return k
    return None


def top_level_commas(tokens, start: int, end: int) -> list[int]:
    return [k for k, token in at_depth_zero(tokens, start, end) if token.string == ","]


# what takes any iterable, so that Python 3's map and filter need no list(...) as its argument
ITERABLE_TAKERS = ("list", "tuple", "sorted", "set", "frozenset", "sum", "any", "all", "min", "max", "join")


class Python2Text:
    """Python 2's print statements, `except X, e:`, `raise E, message` (rewritten) and map and filter
    (with_lists) in a text, each written as 2to3 writes it in Python 3; the lines of each kept by what
    was written."""

    STARTS = (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.NL)

    def __init__(self, text: str):
        self.text = text
        self.tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
        self.offsets = [0]
        for line in text.splitlines(keepends=True):
            self.offsets.append(self.offsets[-1] + len(line))
        self.edits, self.fixed = [], {}

    def at(self, position) -> int:
        return self.offsets[position[0] - 1] + position[1]

    def statements(self):
        """(index, token) of each name that starts a statement."""
        for k, token in enumerate(self.tokens):
            previous = self.tokens[k - 1] if k else None
            at_start = previous is None or previous.type in self.STARTS or previous.string in (";", ":")
            if at_start and token.type == tokenize.NAME:
                yield k, token

    def edit(self, what: str, token, start, end, replacement: str):
        self.edits.append((self.at(start), self.at(end), replacement))
        self.fixed.setdefault(what, []).append(token.start[0])

    def print_statement(self, k: int, token):
        end = self.tokens[statement_ends(self.tokens, k + 1)]
        arguments = self.text[self.at(token.end) : self.at(end.start)].strip()
        target = ""
        if arguments.startswith(">>"):
            target, _, arguments = arguments[2:].partition(",")
            target = f"file={target.strip()}"
        ending = 'end=" "' if arguments.endswith(",") else ""
        parts = [part for part in (arguments.rstrip(",").strip(), ending, target) if part]
        self.edit("print(...)", token, token.start, end.start, f"print({', '.join(parts)})")

    def comma_statement(self, k: int, token):
        end = statement_ends(self.tokens, k + 1)
        commas = top_level_commas(self.tokens, k + 1, end)
        if len(commas) != 1:
            return
        comma = self.tokens[commas[0]]
        if token.string == "except":
            self.edit("`except X as e`", token, comma.start, comma.end, " as")
        else:
            message = self.text[self.at(comma.end) : self.at(self.tokens[end].start)].strip()
            self.edit("`raise E(message)`", token, comma.start, self.tokens[end].start, f"({message})")

    def list_call(self, k: int, token):
        """`map(...)` or `filter(...)` wrapped in `list(...)`, as 2to3 does where its list may be needed:
        not as a for loop's iterable, nor as the argument of what takes any iterable (`list(map(...))`)."""
        before = [t.string for t in self.tokens[max(k - 2, 0) : k]]
        if before[-1:] in ([word] for word in (".", "def", "in")) or self.tokens[k + 1].string != "(":
            return
        close = closing(self.tokens, k + 1)
        if close is None or (
            before in ([name, "("] for name in ITERABLE_TAKERS) and self.tokens[close + 1].string == ")"
        ):
            return
        self.edit(f"list({token.string}(...))", token, token.start, token.start, "list(")
        end = self.at(self.tokens[close].end)
        self.edits.append((end, end, ")"))

    def rewritten(self) -> str:
        for k, token in self.statements():
            if token.string == "print" and self.tokens[k + 1].string not in ("(", "=", "."):
                self.print_statement(k, token)
            elif token.string in ("except", "raise"):
                self.comma_statement(k, token)
        return self.applied()

    def with_lists(self) -> str:
        """Python 2's map and filter, which return lists, wrapped in list(...) where that may be needed."""
        for k, token in enumerate(self.tokens):
            if token.type == tokenize.NAME and token.string in ("map", "filter"):
                self.list_call(k, token)
        return self.applied()

    def applied(self) -> str:
        text = self.text
        for start, end, replacement in sorted(self.edits, reverse=True):
            text = text[:start] + replacement + text[end:]
        return text


def python2_fixes(text: str) -> tuple[str, dict[str, list[int]]]:
    """The text with Python 2's print statements, `except X, e:`, `raise E, message` and the lists of map
    and filter written as Python 3 writes them, as 2to3 would, and the lines of each; ({}) when there is
    nothing to fix."""
    statements = Python2Text(text)
    lists = Python2Text(statements.rewritten())  # a second pass: its edits may fall inside a print's
    return lists.with_lists(), statements.fixed | lists.fixed


def expand_tabs(source: Source) -> Finding | None:
    """Tabs mixed with spaces expanded as Python 2 read them, every 8 columns."""
    lines = source.text.split("\n")
    source.text = "\n".join(line.expandtabs(8) if line[:1] in " \t" else line for line in lines)
    return Finding("tabs", "tabs mixed with spaces: tabs read as every 8 columns, as Python 2 did")


def python2_statements(source: Source) -> Finding | None:
    """Python 2's statements, and the lists its map and filter return, written as Python 3's, as 2to3
    writes them."""
    try:
        source.text, fixed = python2_fixes(source.text)
    except (SyntaxError, tokenize.TokenError):
        return None
    if not fixed:
        return None
    how = "; ".join(f"{what} at {source.source_map.lines_at(lines)}" for what, lines in fixed.items())
    return Finding("python2", f"Python 2: read as 2to3 would write it: {how}")


@dataclass(frozen=True)
class ParseFix:
    """A way to read a text Python 3 cannot parse, tried once, on the errors it is for."""

    code: str
    fixes: Callable[[SyntaxError], bool]
    fix: Callable[[Source], Finding | None]  # the note, or None where there was nothing to fix


PARSE_FIXES = (
    ParseFix("tabs", lambda error: isinstance(error, TabError), expand_tabs),
    ParseFix("python2", lambda error: not isinstance(error, TabError), python2_statements),
)


def parsed(source: Source) -> ast.Module:
    """The syntax tree of the source, each fix in PARSE_FIXES made (and noted) where it is needed."""
    tried, first_error = set(), None
    while True:
        try:
            return ast.parse(source.text, filename=str(source.path))
        except SyntaxError as error:
            if not isinstance(error, TabError):
                first_error = first_error or error
            rule = next((r for r in PARSE_FIXES if r.fixes(error) and r.code not in tried), None)
            note = rule.fix(source) if rule else None
            if note is None:
                raise python2_hint(first_error or error, source) from None
            tried.add(rule.code)
            source.notes.append(note)


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


def read_source(path: Path) -> tuple[Source, ast.Module]:
    """The file as Python 3 can run it (a notebook's code cells joined, Python 2 rewritten), parsed."""
    source = notebook_code(path) if path.suffix == NOTEBOOK else decoded(path)
    return source, parsed(source)


def source_text(path: Path) -> str:
    """The Python a learner's file runs as: a notebook's code cells joined, Python 2 rewritten."""
    return read_source(Path(path))[0].text


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
