"""Lines of a learner's file as its author finds them: 'network.py line 12', or in a notebook, whose
code cells are read as one file, 'net.ipynb cell 7, line 3'. Each loaded file has its own SourceMap."""

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Place:
    file: str  # the file's name
    line: int  # the line in the text read (a notebook's cells joined)
    cell: int | None = None  # in a notebook, the cell (counted from 1 as they appear, markdown too)...
    within: int | None = None  # ...and the line within it

    @property
    def at(self) -> str:
        """'line 12', or 'cell 7, line 3'."""
        return f"line {self.line}" if self.cell is None else f"cell {self.cell}, line {self.within}"

    def __str__(self) -> str:
        return f"{self.file} {self.at}"


@dataclass(frozen=True)
class SourceMap:
    """Where each line of the text read stands in the file: for a notebook, (cell, line) per line."""

    file: str
    cells: tuple[tuple[int, int], ...] | None = None

    @classmethod
    def of(cls, path: str | Path, cells=None) -> "SourceMap":
        return cls(Path(path).name, None if cells is None else tuple(cells))

    def at(self, line: int) -> Place:
        if self.cells and 0 < line <= len(self.cells):
            return Place(self.file, line, *self.cells[line - 1])
        return Place(self.file, line)

    def line_at(self, line: int) -> str:
        """'line 12', or in a notebook 'cell 7, line 3'."""
        return self.at(line).at

    def place(self, line: int) -> str:
        """'network.py line 12', or 'net.ipynb cell 7, line 3'."""
        return str(self.at(line))

    def lines_at(self, lines: list[int]) -> str:
        """'lines 27, 29', or in a notebook 'cell 4, line 8; cell 4, line 10'."""
        if self.cells is not None:
            return "; ".join(self.line_at(line) for line in lines)
        return f"line{'s' * (len(lines) > 1)} {', '.join(map(str, lines))}"

    def place_in(self, file: str | Path, line: int) -> Place:
        """The place of a line of this file or of another beside it (a helper the file imports)."""
        return self.at(line) if Path(file).name == self.file else Place(Path(file).name, line)
