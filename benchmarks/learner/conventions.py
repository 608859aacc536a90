"""The conventions the checker adapts to or refuses, from its rule lists: one line per rule, which
docs/your-network.md carries (`python -m benchmarks.learner.conventions` prints them; a test holds
the guide to them)."""

from .. import sources
from . import adapter, check, loading, roles

RULE_LISTS = {
    "A file's text": sources.FILE_RULES,
    "A notebook's cells": sources.CELL_RULES,
    "A notebook's lines": sources.LINE_RULES,
    "Text Python 3 cannot parse": sources.PARSE_FIXES,
    "Imports of what is not installed here": loading.STAND_INS,
    "Classes defined in another file": loading.ELSEWHERE,
    "Classes refused": roles.REFUSALS,
    "Parameters filled in": roles.FILLERS,
    "Constructor arguments filled in": roles.INIT_FILLERS,
    "Examples in another form": adapter.OTHER_FORMS,
    "Examples in the layout of the weights": adapter.LAYOUT_FORMS,
    "Check 1: why gradients differ": check.GRADIENT_DIAGNOSES,
    "Check 2: why the step differs": (*check.UPDATE_FACTORS, check.updated_per_example),
    "Check 2: why the weight decay differs": check.DECAY_FACTORS,
}


def described(rule) -> str:
    """What the rule is about, in one line: its own words, else its docstring's first line."""
    if isinstance(rule, adapter.Examples):
        return f"a method that takes {rule.words(784, 10)}"
    if isinstance(rule, sources.ParseFix):
        rule = rule.fix
    what = getattr(rule, "what", None) or getattr(rule, "words", None) or rule.__doc__
    return " ".join(what.split()).rstrip(".")


def guide() -> str:
    """The guide's section of conventions, a table per rule list, in the lists' order."""
    sections = []
    for title, rules in RULE_LISTS.items():
        rows = "\n".join(f"| `{rule.code}` | {described(rule)} |" for rule in rules)
        sections.append(f"### {title}\n\n| code | convention |\n|---|---|\n{rows}\n")
    return "\n".join(sections)


if __name__ == "__main__":
    print(guide(), end="")
