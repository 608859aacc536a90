"""Calls into a learner's code: each under a time limit, and whatever goes wrong in it told in one line.

The limit is a SIGALRM timer (signal.setitimer) in the main thread, where the
checker and the harness run. A Python call cannot be stopped safely from another
thread, and a child process would have to rebuild the learner's network and
data for every call; the alarm instead raises inside the learner's code, between
two of its bytecodes, and its frame tells the line it was running. A code that
swallows the alarm (a bare `except:` in a loop) gets it again every second; after
a few, the process prints its one line and exits 2. Where there is no SIGALRM
(Windows) or outside the main thread, calls run without a limit.
"""

import os
import signal
import sys
import threading
import traceback
from pathlib import Path

from benchmarks.errors import EXIT_USER_ERROR, UserError
from benchmarks.sourcefile import place

SWALLOWED_ALARMS = 3


class LearnerCodeError(UserError):
    """The learner's code raised, returned what cannot be used or ran past its time limit; the
    message names the line of their file."""


class Expired(BaseException):
    """Raised by the alarm inside the learner's code; a BaseException, so `except Exception` lets it by."""


def one_line(text: str, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


class FailedImports(dict):
    """Name -> "line 10 `import x`: why", for each name a failed import would have bound. A name that
    no failed import names may still have been meant to come from a failed `from helpers import *`."""

    def cause(self, name: str | None) -> str | None:
        if not name:
            return None
        if name in self:
            return self[name]
        if "*" in self:
            return f"perhaps from {self['*']}"
        return None


class Bounded:
    """Calls into the code of the files in `folder`, each limited to `timeout` seconds (0: none)."""

    def __init__(self, folder: Path, timeout: float, failed_imports: dict[str, str], timeout_option: str):
        self.folder = folder.resolve()
        self.timeout = float(timeout or 0)
        if not isinstance(failed_imports, FailedImports):
            failed_imports = FailedImports(failed_imports)
        self.failed_imports = failed_imports  # the loader's own, which grows while the file loads
        self.timeout_option = timeout_option
        self.inside = False
        self.alarms = 0
        self.stopped_at = None

    def is_theirs(self, filename: str) -> bool:
        return Path(filename).resolve().is_relative_to(self.folder)

    def alarm(self, signum, frame):
        if not self.inside:
            return
        self.alarms += 1
        if self.stopped_at is None:
            while frame is not None and not self.is_theirs(frame.f_code.co_filename):
                frame = frame.f_back
            self.stopped_at = (Path(frame.f_code.co_filename).name, frame.f_lineno) if frame else None
        if self.alarms > SWALLOWED_ALARMS:
            print(
                f"error: {self.expired(self.what, None)}, and catches the alarm that stops it",
                file=sys.stderr,
            )
            os._exit(EXIT_USER_ERROR)
        raise Expired

    def armed(self) -> bool:
        return (
            bool(self.timeout)
            and hasattr(signal, "setitimer")
            and threading.current_thread() is threading.main_thread()
        )

    def call(self, what: str, fn, *args, at: tuple[str, int] | None = None, **kwargs):
        """fn(*args, **kwargs); `what` names it in messages ('backprop'), `at` is the (file, line) of
        its definition, told when the call itself fails."""
        armed = self.armed()
        if armed:
            previous = signal.signal(signal.SIGALRM, self.alarm)
            self.alarms, self.stopped_at, self.what = 0, None, what
            signal.setitimer(signal.ITIMER_REAL, self.timeout, 1.0)
        self.inside = True
        try:
            result = fn(*args, **kwargs)
            self.inside = False
            return result
        except Expired:
            raise LearnerCodeError(self.expired(what, at)) from None
        except (UserError, KeyboardInterrupt):
            raise
        except BaseException as e:  # noqa: BLE001 - anything their code raises, SystemExit included
            raise LearnerCodeError(self.raised(e, what, at)) from None
        finally:
            self.inside = False
            if armed:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)

    def expired(self, what: str, at) -> str:
        where = self.stopped_at or at
        at_line = f"{place(*where)}: " if where else ""
        return (
            f"{at_line}{what} has not returned after {self.timeout:g} s (it was running this line); "
            f"look for a loop that never ends, or allow it more time with {self.timeout_option}"
        )

    def raised(self, error: BaseException, what: str, at) -> str:
        frames = [f for f in traceback.extract_tb(error.__traceback__) if self.is_theirs(f.filename)]
        kind = type(error).__name__
        name = getattr(error, "name", None) if isinstance(error, NameError) else None
        if frames:
            last = frames[-1]
            where = f"{place(last.filename, last.lineno)} (in {last.name})"
            if cause := self.failed_imports.cause(name):
                return (
                    f"{where} uses `{name}`, which was not imported: {cause}; "
                    "install it, or put the file where that import works"
                )
            return f"{where} raised {kind}: {one_line(error)}; fix that line (the check was calling {what})"
        at_line = f"{place(*at)}: " if at else ""
        return f"{at_line}calling {what} raised {kind}: {one_line(error)}"
