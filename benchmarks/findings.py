"""What the checker finds in a learner's file, each thing as a `Finding`: a code, which the checker's own
code branches on, the place in the file it is about, and its words, which only people read.

A note (an adaptation made), a refusal (the file cannot be used as it is) and a diagnosis (what a wrong
result means) are all findings; an exception that stops the checker carries its finding. Rewording
a finding never changes what the checker does (tests/test_rules.py rewrites every one to prove it).
"""

from dataclasses import dataclass, field

from .errors import UserError
from .places import Place


@dataclass(frozen=True)
class Finding:
    code: str
    words: str
    place: Place | None = None
    short: str | None = None  # the words without what to do, for a finding quoted inside another
    facts: dict = field(default_factory=dict, compare=False)  # values the checker reads, never words

    def __str__(self) -> str:
        return self.words

    @property
    def found(self) -> str:
        """What was found, without what to do about it."""
        return self.words if self.short is None else self.short


def rule(code: str):
    """Marks a function as the rule for one convention; its findings carry this code, and the guide
    (docs/your-network.md) has a line for it."""

    def marked(function):
        function.code = code
        return function

    return marked


class Refusal(UserError):
    """A UserError that carries its finding; its message is the finding's words."""

    def __init__(self, finding: Finding):
        super().__init__(finding.words)
        self.finding = finding

    @property
    def code(self) -> str:
        return self.finding.code


class LearnerFileError(Refusal):
    """The file cannot be used at all; its finding says what is wrong and how to fix it."""


class LearnerCodeError(Refusal):
    """The learner's code raised, returned what cannot be used or ran past its time limit; the
    finding names the line of their file."""
