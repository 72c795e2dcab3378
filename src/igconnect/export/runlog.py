"""The export's own log file: a rotating file in the state dir, redacted, one block per run."""

from __future__ import annotations

import logging
import logging.handlers
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from igconnect.fileio import ensure_dir, explained
from igconnect.redact import RedactingFilter

LOG_NAME = "export.log"
MAX_BYTES = 1_000_000
BACKUPS = 5


@contextmanager
def run_log(log_dir: Path) -> Iterator[Path]:
    """Send the `igconnect` logger's INFO and above to `log_dir/export.log` while the run lasts."""
    ensure_dir(log_dir)
    path = log_dir / LOG_NAME
    with explained(path, doing="open the log"):
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
        )
    handler.addFilter(RedactingFilter())
    handler.setLevel(logging.INFO)
    handler.setFormatter(
        logging.Formatter(
            "%(asctime)s %(process)d %(levelname)s %(message)s", "%Y-%m-%dT%H:%M:%S%z"
        )
    )
    logger = logging.getLogger("igconnect")
    previous_level = logger.level
    quieted: list[logging.Handler] = []
    if logger.getEffectiveLevel() > logging.INFO:
        # The file wants INFO; the console keeps the threshold it had.
        for existing in logger.handlers:
            if existing.level == logging.NOTSET:
                existing.setLevel(logger.getEffectiveLevel())
                quieted.append(existing)
        logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        yield path
    finally:
        logger.removeHandler(handler)
        handler.close()
        logger.setLevel(previous_level)
        for existing in quieted:
            existing.setLevel(logging.NOTSET)
