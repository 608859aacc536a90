"""Every pointer from the code to a section of the README or a guide names a section that exists.

A pointer is written `README, "Heading"`, `README: "Heading"` or `docs/guide.md, "Heading"`
(also without the quotes, up to a closing parenthesis), in a comment, docstring or message;
a bare `docs/guide.md` must be a file.
"""

import re

import pytest

from tests.conftest import ROOT

CODE = [
    path
    for pattern in ("benchmarks/**/*.py", "impls/*.py", "hydra_plugins/**/*.py", "run.py", "conf/**/*.yaml")
    for path in ROOT.glob(pattern)
] + [ROOT / "Makefile", ROOT / "cluster" / "slurm.sh", ROOT / ".ci" / "run"]
TO_SECTION = re.compile(r'(README(?:\.md)?|docs/[\w-]+\.md)[,:]\s*(?:"([^"]+)"|([A-Z][^)"\n]*?)\))')
TO_FILE = re.compile(r"\bdocs/[\w-]+\.md\b")


def headings(document: str) -> set[str]:
    path = ROOT / ("README.md" if document.startswith("README") else document)
    text = path.read_text() if path.is_file() else ""
    return {line.lstrip("#").strip() for line in text.splitlines() if line.startswith("#")}


def pointers():
    for path in CODE:
        text = path.read_text()
        for match in TO_SECTION.finditer(text):
            yield path.relative_to(ROOT), match.group(1), (match.group(2) or match.group(3)).strip()
        for match in TO_FILE.finditer(text):
            yield path.relative_to(ROOT), match.group(0), None


def test_the_code_points_somewhere():
    assert len(list(pointers())) >= 3


@pytest.mark.parametrize(("source", "document", "section"), list(pointers()))
def test_each_pointer_names_a_section_that_exists(source, document, section):
    if section is None:
        assert (ROOT / document).is_file(), f"{source} points to {document}, which does not exist"
    else:
        assert section in headings(document), f'{source} points to {document}, "{section}": no such heading'
