"""Tables as GitHub Markdown, for the report and for compare."""

import pandas as pd


def markdown_table(frame: pd.DataFrame) -> str:
    """The frame as a Markdown table; missing values are left blank, an empty frame says so."""
    if frame.empty:
        return "_none_\n"
    cells = frame.astype(object).where(frame.notna(), "").astype(str)
    lines = ["| " + " | ".join(map(str, frame.columns)) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(row) + " |" for row in cells.itertuples(index=False)]
    return "\n".join(lines) + "\n"
