"""The one exception type a stage turns into a one-line message, and the one way to summarise any error."""

from __future__ import annotations

from medcost.core.secrets import scrub


class MedcostError(Exception):
    """A problem the user can act on: bad params, an unreachable database, bad data.

    The message is shown as it is, on one line, so it must name what is wrong
    (the table, column, param or URL, with any password masked).
    """


def summarise(exc: BaseException | str, limit: int = 300) -> str:
    """The first non-empty line of an error, credentials of any URL in it removed, at most ``limit`` characters.

    A driver error wrapped by SQLAlchemy (``exc.orig``) is summarised by the driver's own message,
    without SQLAlchemy's background links; MLflow's errors by their ``message``.
    """
    if isinstance(exc, BaseException):
        inner = getattr(exc, "orig", None) or exc
        text = str(getattr(inner, "message", None) or inner)
        fallback = type(inner).__name__
    else:
        text, fallback = exc, ""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    line = scrub(lines[0]) if lines else fallback
    return line if len(line) <= limit else line[: limit - 3] + "..."


def one_line(message: str) -> str:
    """``message`` with all whitespace runs (newlines too) collapsed to single spaces."""
    return " ".join(str(message).split())
