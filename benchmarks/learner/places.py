"""Lines of a learner's file as its author finds them: 'network.py line 12', or in a notebook, whose
code cells are read as one file, 'net.ipynb cell 7, line 3'."""

from pathlib import Path

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
