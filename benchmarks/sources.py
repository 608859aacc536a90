"""A learner's file read as the Python 3 it runs as: the text that the checker loads and the report counts.

A Jupyter notebook (.ipynb, read with nbformat, any format version) is its code
cells in order, as one file; IPython's magics and shell lines (`%matplotlib
inline`, `!pip install ...`) are left out and said, and every line that points
into it names the cell ("net.ipynb cell 7, line 3"). A Python 2 kernel's cells
are read as a Python 2 file is.

Files as learners write them: CRLF line endings, tabs mixed with spaces, bytes
that are not UTF-8 in a comment, Python 2's print statements and `except X, e`.
Each is read as Python 2 or the author's editor meant it, and `notes` says how;
what cannot be read is refused in one line. benchmarks/learner/loading.py runs
what is read; the report's ease-of-use table counts its statements.
"""

import ast
import io
import json
import re
import tokenize
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .findings import Finding, LearnerFileError, rule
from .places import Place, SourceMap

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
class Source:
    """The text of a learner's file as it is being read: what was adapted, and where its lines stand."""

    path: Path
    text: str
    source_map: SourceMap
    notes: list[Finding] = field(default_factory=list)


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


def read_source(path: Path) -> tuple[Source, ast.Module]:
    """The file as Python 3 can run it (a notebook's code cells joined, Python 2 rewritten), parsed."""
    source = notebook_code(path) if path.suffix == NOTEBOOK else decoded(path)
    return source, parsed(source)


def source_text(path: Path) -> str:
    """The Python a learner's file runs as: a notebook's code cells joined, Python 2 rewritten."""
    return read_source(Path(path))[0].text
