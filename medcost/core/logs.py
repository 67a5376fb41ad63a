"""One log format for medcost and the libraries it drives: MLflow's log lines and prints come out as medcost's.

MLflow 3 gives its loggers a handler and format of its own on import unless ``MLFLOW_CONFIGURE_LOGGING``
is false, and prints a few messages ("Created version '1' of model ...") with ``eprint`` to its
own stream. :func:`mlflow_in_medcost_format` turns the first off, so its loggers propagate to the
root handler :func:`medcost.core.entry.configure_logging` sets up, and sends the prints to the
``mlflow`` logger.
"""

from __future__ import annotations

import logging
import os

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
DATE_FORMAT = "%H:%M:%S"
MLFLOW_QUIET = {"alembic": logging.WARNING, "huey": logging.WARNING}  # as MLflow's own set-up keeps them


class LoggerStream:
    """A text stream that writes each complete line to ``logger`` at INFO (where MLflow's ``eprint`` prints)."""

    def __init__(self, logger: logging.Logger) -> None:
        self.logger = logger
        self.enabled = True  # mlflow.utils.logging_utils.disable_logging() sets it, as on MLflow's own stream
        self._pending = ""

    def write(self, text: str) -> int:
        if self.enabled:
            self._pending += text
            *lines, self._pending = self._pending.split("\n")
            for line in lines:
                if line.strip():
                    self.logger.info(line)
        return len(text)

    def flush(self) -> None:
        """Nothing to flush: a line is logged when it ends (``print`` ends every message with one)."""


def mlflow_in_medcost_format() -> None:
    """MLflow's log lines and prints in medcost's format; call it before mlflow is first imported.

    ``MLFLOW_CONFIGURE_LOGGING=true`` in the environment keeps MLflow's own format.
    """
    os.environ.setdefault("MLFLOW_CONFIGURE_LOGGING", "false")
    if os.environ["MLFLOW_CONFIGURE_LOGGING"].strip().lower() not in ("false", "0"):
        return
    for name, level in MLFLOW_QUIET.items():
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(level)
    from mlflow.utils import logging_utils

    if not isinstance(logging_utils.MLFLOW_LOGGING_STREAM, LoggerStream):
        logging_utils.MLFLOW_LOGGING_STREAM = LoggerStream(logging.getLogger("mlflow"))  # type: ignore[assignment]
