"""CSV and JSONL output of archived story rows, streamed; a regular file is replaced atomically.

Column order is stable and documented in docs/export.md: the fixed columns, then one column per
metric and per breakdown value of the API version's catalogue. Times are ISO 8601 UTC; a value Meta
did not give is empty (CSV) or null (JSONL), never 0.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from igconnect.redact import redact

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
# What Excel, LibreOffice and Sheets read as the start of a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_SEPARATOR = "\x1f"


def columns(metric_columns: Iterable[str]) -> list[str]:
    return [*FIXED_COLUMNS, *metric_columns]


def write_rows(
    rows: Iterable[dict[str, Any]],
    out: Path | None,
    fmt: str,
    metric_columns: list[str],
    *,
    escape_formulas: bool = True,
) -> int:
    """Write `rows` (archive rows with a `values` dict) to `out`; return how many were written.

    Every text cell is redacted, and with `escape_formulas` one that a spreadsheet would run as a
    formula gets a leading `'` (see docs/security.md). Numbers are written as numbers.
    """
    from igconnect.fileio import output_stream

    header = columns(metric_columns)
    count = 0
    with output_stream(out) as handle:
        if fmt == "csv":
            writer = csv.writer(handle, lineterminator="\r\n")
            writer.writerow(header)
            for row in rows:
                writer.writerow(_flat(row, metric_columns, empty="", escape=escape_formulas))
                count += 1
        else:
            for row in rows:
                cells = _flat(row, metric_columns, empty=None, escape=escape_formulas)
                record = dict(zip(header, cells, strict=True))
                handle.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
                count += 1
    return count


def write_table(
    rows: Iterable[dict[str, Any]],
    out: Path | None,
    fmt: str,
    header: Sequence[str],
    *,
    escape_formulas: bool = True,
) -> int:
    """Like `write_rows`, for rows that are flat dicts with the `header`'s keys (profiles, posts,
    hashtag media): the same redaction, formula escaping, empty cells and atomic replace."""
    from igconnect.fileio import output_stream

    count = 0
    with output_stream(out) as handle:
        writer = csv.writer(handle, lineterminator="\r\n") if fmt == "csv" else None
        if writer is not None:
            writer.writerow(header)
        for row in rows:
            cells = _cells(
                [row.get(n) for n in header], empty="" if writer else None, escape=escape_formulas
            )
            if writer is not None:
                writer.writerow(cells)
            else:
                record = dict(zip(header, cells, strict=True))
                handle.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
            count += 1
    return count


def _flat(row: dict[str, Any], metric_columns: list[str], *, empty: Any, escape: bool) -> list[Any]:
    values = row.get("values") or {}
    cells: list[Any] = [
        *(row.get(n) for n in FIXED_COLUMNS),
        *(values.get(n) for n in metric_columns),
    ]
    return _cells(cells, empty=empty, escape=escape)


def _cells(cells: list[Any], *, empty: Any, escape: bool) -> list[Any]:
    texts = [i for i, value in enumerate(cells) if isinstance(value, str)]
    for i, text in zip(texts, _redacted([cells[i] for i in texts]), strict=True):
        cells[i] = "'" + text if escape and text.startswith(FORMULA_STARTS) else text
    return [empty if value is None else value for value in cells]


def _redacted(texts: list[str]) -> list[str]:
    """`redact` of each text, in one call per row: the unit separator (whitespace to the
    redaction patterns) keeps a cell's secret from running into the next cell."""
    joined = _SEPARATOR.join(texts)
    if joined.count(_SEPARATOR) == len(texts) - 1:
        clean = redact(joined).split(_SEPARATOR)
        if len(clean) == len(texts):
            return clean
    return [redact(text) for text in texts]
