"""The one exception type a stage turns into a one-line message and a non-zero exit."""


class MedcostError(Exception):
    """A problem the user can act on: bad params, an unreachable database, bad data.

    The message is shown as it is, on one line, so it must name what is wrong
    (the table, column, param or URL, with any password masked).
    """
