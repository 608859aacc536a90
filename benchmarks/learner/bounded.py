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

from ..errors import EXIT_USER_ERROR, UserError
from ..findings import Finding, LearnerCodeError
from ..places import Place, SourceMap

SWALLOWED_ALARMS = 3


class Expired(BaseException):
    """Raised by the alarm inside the learner's code; a BaseException, so `except Exception` lets it by."""


def one_line(text: str, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def not_imported(where: str, name: str, cause: str) -> Finding:
    """A name the learner's code uses that a failed import would have bound."""
    return Finding(
        "not-imported",
        f"{where} uses `{name}`, which was not imported: {cause}; "
        "install it, or put the file where that import works",
        facts={"name": name},
    )


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
    """Calls into the code of the files in `folder`, each limited to `timeout` seconds (0: none); the
    learner's file's lines named as its source map names them."""

    def __init__(
        self,
        folder: Path,
        timeout: float,
        failed_imports: dict[str, str],
        timeout_option: str,
        source_map: SourceMap | None = None,
    ):
        self.folder = folder.resolve()
        self.source_map = source_map
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
            self.stopped_at = self.place(frame.f_code.co_filename, frame.f_lineno) if frame else None
        if self.alarms > SWALLOWED_ALARMS:
            print(
                f"error: {self.expired(self.what, None).words}, and catches the alarm that stops it",
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

    def place(self, file: str, line: int) -> Place:
        return self.source_map.place_in(file, line) if self.source_map else Place(Path(file).name, line)

    def call(self, what: str, fn, *args, at: int | None = None, **kwargs):
        """fn(*args, **kwargs); `what` names it in messages ('backprop'), `at` is the line of its
        definition in the learner's file, told when the call itself fails."""
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

    def expired(self, what: str, at: int | None) -> Finding:
        where = self.stopped_at or (self.source_map.at(at) if at and self.source_map else None)
        at_line = f"{where}: " if where else ""
        return Finding(
            "timed-out",
            f"{at_line}{what} has not returned after {self.timeout:g} s (it was running this line); "
            f"look for a loop that never ends, or allow it more time with {self.timeout_option}",
            where,
        )

    def raised(self, error: BaseException, what: str, at: int | None) -> Finding:
        frames = [f for f in traceback.extract_tb(error.__traceback__) if self.is_theirs(f.filename)]
        kind = type(error).__name__
        name = getattr(error, "name", None) if isinstance(error, NameError) else None
        facts = {"error": kind, "message": one_line(error)}
        if frames:
            last = frames[-1]
            place = self.place(last.filename, last.lineno)
            where = f"{place} (in {last.name})"
            if cause := self.failed_imports.cause(name):
                return not_imported(where, name, cause)
            found = f"{where} raised {kind}: {one_line(error)}"
            words = f"{found}; fix that line (the check was calling {what})"
            return Finding("raised", words, place, short=found, facts=facts)
        where = self.source_map.at(at) if at and self.source_map else None
        at_line = f"{where}: " if where else ""
        return Finding(
            "call-raised", f"{at_line}calling {what} raised {kind}: {one_line(error)}", where, facts=facts
        )
