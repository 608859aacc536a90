"""One type for the user's mistakes, and the one place that turns it into a line and an exit code.

A `UserError` is something the user can fix: a setting, a path, a file they wrote,
results this version cannot read. Its message is the whole story, one line that
says what is wrong and what to do. Everything else is a bug or a failed run and
keeps its traceback (a run's is saved beside its results).
"""

import functools
import sys
from collections.abc import Callable

EXIT_USER_ERROR = 2


class UserError(Exception):
    """Something the user can fix; the message says what and how, in one line."""


def command(main: Callable[..., int | None]) -> Callable[..., int]:
    """A command's `main(argv=None) -> int`, with a UserError printed as `error: ...` and exit code 2."""

    @functools.wraps(main)
    def wrapped(*args, **kwargs) -> int:
        try:
            return main(*args, **kwargs) or 0
        except UserError as e:
            print(f"error: {e}", file=sys.stderr)
            return EXIT_USER_ERROR

    return wrapped
