"""What the judge raises for a worker's troubles and for the errors of learner code.

The worker describes an exception of learner code (type name, message, the learner's
line); the judge turns the description into an exception of its own, never into one the
worker could choose freely: a built-in exception type by name (not a Warning, never
SystemExit), else a fresh `LearnerError` subclass of that name. Every string is clipped
again here (wire.clip): the description comes from the learner's process."""

from __future__ import annotations

import builtins

from gradeschool.core.implementation import ForbiddenImport, ImplementationError, ImportFailed, MissingModule
from gradeschool.grading.worker.wire import MAX_LINE, MAX_MESSAGE, MAX_NAME, clip


class WorkerTimeout(ImplementationError):
    status = "timeout"


class WorkerCrashed(ImplementationError):
    status = "error"


class WorkerStartFailed(WorkerCrashed):
    """The worker (or its sandbox) could not be started: the grading was disturbed, not the
    submission's fault; the report says so and `grade-all` grades it again."""


class FileRefused(ImplementationError):
    """The supervisor's intake refused the topic's file (a link, a FIFO, too large...)."""
    status = "error"


class LearnerError(Exception):
    """An exception raised by learner code that is not a plain built-in exception."""


FORBIDDEN = ("the tests compare your code with torch, so torch must not do the work.")


def forbidden_import(what: str) -> ForbiddenImport:
    return ForbiddenImport(f"the code tried to import {clip(what, MAX_NAME)!r} while running. Exercises "
                           f"may import NumPy and the Python standard library only: {FORBIDDEN}")


def learner_exception(info: object) -> BaseException:
    """The judge's exception for an error the worker reported."""
    info = info if isinstance(info, dict) else {}
    status = info.get("status")
    message = clip(info.get("message", ""), MAX_MESSAGE)
    if info.get("type") == "UnavailableTopic":  # a sibling topic module that cannot be used
        cls = {"forbidden import": ForbiddenImport, "not started": MissingModule}.get(status, ImportFailed)
        return cls(message)
    if status == "forbidden import":
        hit = (info.get("forbidden") or [""])[0]
        return forbidden_import(str(hit)) if hit else ForbiddenImport(f"{message} ({FORBIDDEN})")
    name = clip(info.get("type", "Exception"), MAX_NAME)
    where = clip(info.get("where") or "", MAX_NAME + MAX_LINE + 20)
    text = f"{message} (at {where})" if where else message
    if info.get("builtin") is True:
        cls = getattr(builtins, name, None)
        if isinstance(cls, type) and issubclass(cls, Exception) and not issubclass(cls, Warning):
            try:
                return cls(text)
            except Exception:  # noqa: BLE001 - constructors with special signatures
                pass
    safe = name if name.isidentifier() else "LearnerError"
    return type(safe, (LearnerError,), {})(text)


def import_error(module: str, info: object) -> ImplementationError:
    """The error of a topic module whose import raised in the worker."""
    err = learner_exception(info)
    if isinstance(err, ImplementationError):
        return type(err)(f"importing {module}: {err}")
    info = info if isinstance(info, dict) else {}
    where = info.get("where")
    return ImportFailed(f"importing {module} failed: {clip(info.get('type'), MAX_NAME)}: "
                        f"{clip(info.get('message'), MAX_MESSAGE)}" + (f" ({clip(where, MAX_LINE + MAX_NAME)})"
                                                                     if where else ""))
