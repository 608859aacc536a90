"""A Python file or a Jupyter notebook read as the Python it runs as, and its lines named as its author
finds them: 'network.py line 12', or in a notebook, whose code cells are read as one file, 'net.ipynb
cell 7, line 3'.

The learner's checker loads a file from this text, and the report counts its statements in it, so
that both see the lines a trace of it sees. Files as learners write them: CRLF line endings, tabs mixed
with spaces, bytes that are not UTF-8 in a comment, Python 2's print statements and `except X, e`, a
notebook's magics and shell lines; what cannot be read is refused in one line.
"""

import ast
import io
import json
import re
import sys
import tokenize
import warnings
from pathlib import Path

import nbformat

from benchmarks.errors import UserError

CELL_LINES: dict[str, list[tuple[int, int]]] = {}  # a notebook's name -> (cell, line) of each line read


def line_at(file: str | Path, line: int) -> str:
    """'line 12', or in a notebook 'cell 7, line 3' (cells counted from 1 as they appear, markdown too)."""
    cells = CELL_LINES.get(Path(file).name)
    if cells and 0 < line <= len(cells):
        cell, within = cells[line - 1]
        return f"cell {cell}, line {within}"
    return f"line {line}"


def place(file: str | Path, line: int) -> str:
    """'network.py line 12', or 'net.ipynb cell 7, line 3'."""
    return f"{Path(file).name} {line_at(file, line)}"


def lines_at(file: str | Path, lines: list[int]) -> str:
    """'lines 27, 29', or in a notebook 'cell 4, line 8; cell 4, line 10'."""
    if Path(file).name in CELL_LINES:
        return "; ".join(line_at(file, line) for line in lines)
    return f"line{'s' * (len(lines) > 1)} {', '.join(map(str, lines))}"


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


def source_text(path: Path) -> str:
    """The Python a learner's file runs as: a notebook's code cells joined, Python 2 rewritten."""
    path = Path(path)
    text = notebook_code(path)[0] if path.suffix == NOTEBOOK else decoded(path)[0]
    return parsed(text, path)[1]
