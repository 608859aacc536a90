"""Every format the report and the commands print in: the terminal, Markdown and one HTML file.

The report is one list of blocks, written out as Markdown and as HTML. Both hold
the same sections, text and tables; the HTML embeds every plot as a data URI and
references no other file, so it opens in any browser after being copied off the
machine that made it. The answers also print as plain text for the terminal.
"""

import base64
import html
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..stats import comparison_row, decision_text
from .answers import Answer, NotJudged


@dataclass(frozen=True)
class Heading:
    level: int
    text: str


@dataclass(frozen=True)
class Text:
    """A paragraph; `backticks` and **bold** are the only markup."""

    text: str


@dataclass(frozen=True)
class Missing:
    """What would have been here, and what produces it."""

    text: str


@dataclass(frozen=True)
class Table:
    frame: pd.DataFrame


@dataclass(frozen=True)
class Collapsed:
    """A table a reader opens when they want it: folded away in HTML, in full in Markdown."""

    title: str
    frame: pd.DataFrame


@dataclass(frozen=True)
class Figure:
    file: str
    title: str
    caption: str | None = None


@dataclass(frozen=True)
class Answers:
    answers: list[Answer]


@dataclass(frozen=True)
class NotJudgedLines:
    """The lines of the learner's comparison that no answer judges, each with why."""

    entries: tuple[NotJudged, ...]


def grouped(answers: list[Answer]) -> list[tuple[str, list[tuple[int, Answer]]]]:
    """[(question, [(number, answer), ...]), ...] in order, numbered from 1 across questions."""
    groups = []
    for number, answer in enumerate(answers, start=1):
        if not groups or groups[-1][0] != answer.question:
            groups.append((answer.question, []))
        groups[-1][1].append((number, answer))
    return groups


def as_text(answers: list[Answer]) -> str:
    """Plain text for a terminal: a few lines per question."""
    blocks = []
    for question, numbered in grouped(answers):
        lines = [question]
        for number, answer in numbered:
            lines += [f"  {number}. {answer.claim} {answer.verdict.upper()}.", f"     {answer.evidence}"]
            lines += [f"       {c.key}: {decision_text(c)}" for c in answer.comparisons]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


NOT_JUDGED_TITLE = "Not judged"
NOT_JUDGED_INTRO = "Lines of the learner's comparison that no measurement here can judge, and why:"


def not_judged_text(entries: tuple[NotJudged, ...]) -> str:
    """Plain text for a terminal: each line not judged, and why."""
    lines = [NOT_JUDGED_TITLE]
    for entry in entries:
        lines += [f"  - {entry.question}: {entry.line}", f"    {entry.why}"]
    return "\n".join(lines)


def markdown_plain(text: str) -> str:
    """Text for Markdown that shows every character as written: `*` escaped outside `code` spans
    (claim 7 marks a re-derived gradient with it), so that no pair of marks turns into emphasis. An
    underscore inside a word (torch_naive) never does in CommonMark, and names have no other."""
    pieces = re.split(r"(`[^`]*`)", text)
    return "".join(p if p.startswith("`") else p.replace("*", "\\*") for p in pieces)


def markdown_table(frame: pd.DataFrame) -> str:
    """The frame as a GitHub Markdown table; missing values are left blank, an empty frame says so."""
    if frame.empty:
        return "_none_\n"
    cells = frame.astype(object).where(frame.notna(), "").astype(str)
    lines = ["| " + " | ".join(map(str, frame.columns)) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(row) + " |" for row in cells.itertuples(index=False)]
    return "\n".join(lines) + "\n"


def to_markdown(blocks: list) -> str:
    parts = []
    for block in blocks:
        match block:
            case Heading(level, text):
                parts.append(f"{'#' * level} {text}\n")
            case Text(text):
                parts.append(f"{text}\n")
            case Missing(text):
                parts.append(f"_{text}_\n")
            case Table(frame):
                parts.append(markdown_table(frame))
            case Collapsed(title, frame):
                parts.append(f"{title}:\n\n{markdown_table(frame)}")
            case Figure(file, title, caption):
                parts.append(
                    f"![{title}]({file})\n" + (f"\n{caption_markdown(caption)}\n" if caption else "")
                )
            case Answers(answers):
                parts.append(answers_markdown(answers))
            case NotJudgedLines(entries):
                parts.append(not_judged_markdown(entries))
    return "\n".join(parts)


def caption_lines(caption: str) -> tuple[list[str], list[str]]:
    """(the caption's sentences, its list items): lines starting with '- ' are list items."""
    lines = caption.splitlines()
    return [line for line in lines if not line.startswith("- ")], [
        line[2:] for line in lines if line.startswith("- ")
    ]


def caption_markdown(caption: str) -> str:
    text, items = caption_lines(caption)
    return " ".join(text) + ("\n\n" + "\n".join(f"- {item}" for item in items) if items else "")


def caption_html(caption: str) -> str:
    text, items = caption_lines(caption)
    listed = "<ul>" + "".join(f"<li>{inline(item)}</li>" for item in items) + "</ul>" if items else ""
    return f"<figcaption>{inline(' '.join(text))}{listed}</figcaption>"


def comparisons_frame(answer: Answer) -> pd.DataFrame:
    return pd.DataFrame([comparison_row(c) for c in answer.comparisons])


def answers_markdown(answers: list[Answer]) -> str:
    """Each answer a numbered item, its comparisons in a table under it (indented into the item)."""
    parts = []
    for question, numbered in grouped(answers):
        lines = [f"**{question}**\n"]
        for n, a in numbered:
            lines.append(
                f"{n}. *{markdown_plain(a.claim)}* **{markdown_plain(a.verdict.capitalize())}.** "
                f"{markdown_plain(a.evidence)}"
            )
            if a.comparisons:
                table = markdown_table(comparisons_frame(a)).rstrip("\n").splitlines()
                lines += ["", *(f"   {line}" for line in table), ""]
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


def not_judged_markdown(entries: tuple[NotJudged, ...]) -> str:
    items = "\n".join(f"- {e.question}: *{markdown_plain(e.line)}* {markdown_plain(e.why)}" for e in entries)
    return f"### {NOT_JUDGED_TITLE}\n\n{NOT_JUDGED_INTRO}\n\n{items}\n"


def not_judged_html(entries: tuple[NotJudged, ...]) -> str:
    items = "".join(
        f"<li>{html.escape(e.question)}: <em>{plain_inline(e.line)}</em> {plain_inline(e.why)}</li>"
        for e in entries
    )
    return f"<h3>{NOT_JUDGED_TITLE}</h3><p>{html.escape(NOT_JUDGED_INTRO)}</p><ul>{items}</ul>"


def plain_inline(text: str) -> str:
    """HTML of a line of text with `code` only: every other character shown as written."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text, quote=False))


def inline(text: str) -> str:
    """HTML of a line of text with `code`, **bold** and *emphasis*."""
    text = plain_inline(text)
    text = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", text)
    return re.sub(r"(?<![\w*])\*([^*]+)\*(?![\w*])", r"<em>\1</em>", text)


def table_html(frame: pd.DataFrame, css_class: str | None = None) -> str:
    if frame.empty:
        return "<p><em>none</em></p>"
    cells = frame.astype(object).where(frame.notna(), "").astype(str)
    # A column name such as background_load may break after its underscores, so that wide tables fit.
    head = "".join(f"<th>{html.escape(str(c)).replace('_', '_<wbr>')}</th>" for c in frame.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{inline(v)}</td>" for v in row) + "</tr>"
        for row in cells.itertuples(index=False)
    )
    opening = f'<table class="{css_class}">' if css_class else "<table>"
    return f"{opening}<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def image_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1200px; margin: 2em auto; padding: 0 1em; color: #222; }
h1, h2, h3 { line-height: 1.2; } h2 { border-bottom: 1px solid #ddd; padding-bottom: .2em; margin-top: 2em; }
table { border-collapse: collapse; font-size: .8em; margin: .5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: .2em .4em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } code { background: #f3f3f3; padding: 0 .2em; }
img { max-width: 100%; } figure { margin: 1em 0 2em; } figcaption { font-style: italic; }
.missing { color: #8a4b00; font-style: italic; } summary { cursor: pointer; margin: .5em 0; }
figcaption ul { margin: .3em 0; }
ol.answers li { margin: .4em 0; } .verdict { font-weight: bold; }
table.comparisons { font-size: .8em; margin: .3em 0 .8em; }
"""


def to_html(blocks: list, folder: Path, title: str) -> str:
    parts = []
    for block in blocks:
        match block:
            case Heading(level, text):
                parts.append(f"<h{level}>{inline(text)}</h{level}>")
            case Text(text):
                parts.append(f"<p>{inline(text)}</p>")
            case Missing(text):
                parts.append(f'<p class="missing">{inline(text)}</p>')
            case Table(frame):
                parts.append(table_html(frame))
            case Collapsed(title, frame):
                parts.append(f"<details><summary>{inline(title)}</summary>{table_html(frame)}</details>")
            case Figure(file, alt, caption):
                image = f'<img alt="{html.escape(alt)}" src="{image_uri(folder / file)}">'
                parts.append(f"<figure>{image}{caption_html(caption) if caption else ''}</figure>")
            case Answers(answers):
                parts.append(answers_html(answers))
            case NotJudgedLines(entries):
                parts.append(not_judged_html(entries))
    body = "\n".join(parts)
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{STYLE}</style></head>\n<body>\n{body}\n</body></html>\n"
    )


def answers_html(answers: list[Answer]) -> str:
    parts = []
    for question, numbered in grouped(answers):
        items = "".join(
            f'<li><em>{plain_inline(a.claim)}</em> <span class="verdict">'
            f"{plain_inline(a.verdict.capitalize())}.</span> {plain_inline(a.evidence)}"
            + (table_html(comparisons_frame(a), "comparisons") if a.comparisons else "")
            + "</li>"
            for _, a in numbered
        )
        parts.append(
            f'<h3>{html.escape(question)}</h3><ol class="answers" start="{numbered[0][0]}">{items}</ol>'
        )
    return "\n".join(parts)
