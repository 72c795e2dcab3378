"""CSV and JSONL output of archived story rows, written atomically and streamed.

Column order is stable and documented in docs/export.md: the fixed columns, then one column per
metric and per breakdown value of the API version's catalogue. Times are ISO 8601 UTC; a value Meta
did not give is empty (CSV) or null (JSONL), never 0.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

FIXED_COLUMNS = (
    "connection",
    "account_id",
    "username",
    "story_id",
    "media_type",
    "permalink",
    "posted_at",
    "expires_at",
    "observed_at",
    "api_version",
    "status",
    "reason",
    "value_source",
)
FORMATS = ("csv", "jsonl")


def columns(metric_columns: Iterable[str]) -> list[str]:
    return [*FIXED_COLUMNS, *metric_columns]


@contextmanager
def _destination(out: Path | None) -> Iterator[IO[str]]:
    """Stdout for None (`-`), else a temporary file that replaces `out` on success."""
    if out is None:
        yield sys.stdout
        sys.stdout.flush()
        return
    from igconnect.fileio import atomic_writer

    with atomic_writer(out) as handle:
        yield handle


def write_rows(
    rows: Iterable[dict[str, Any]], out: Path | None, fmt: str, metric_columns: list[str]
) -> int:
    """Write `rows` (archive rows with a `values` dict) to `out`; return how many were written."""
    header = columns(metric_columns)
    count = 0
    with _destination(out) as handle:
        if fmt == "csv":
            writer = csv.writer(handle, lineterminator="\r\n")
            writer.writerow(header)
            for row in rows:
                writer.writerow(_flat(row, metric_columns, empty=""))
                count += 1
        else:
            for row in rows:
                record = dict(zip(header, _flat(row, metric_columns, empty=None), strict=True))
                handle.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
                count += 1
    return count


def _flat(row: dict[str, Any], metric_columns: list[str], *, empty: Any) -> list[Any]:
    values = row.get("values") or {}
    out: list[Any] = []
    for name in FIXED_COLUMNS:
        value = row.get(name)
        out.append(empty if value is None else value)
    for name in metric_columns:
        value = values.get(name)
        out.append(empty if value is None else value)
    return out
