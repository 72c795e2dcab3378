"""Tables that fit the width of `CliContext.out`: each column's kind says how it gives way when the
table is too wide. Ids and names keep one line and end in "…" (a cut id still reads as which one);
messages and lists fold onto more lines (nothing in them is lost); numbers stay whole."""

from __future__ import annotations

from typing import Any, Literal

from rich.table import Table

Kind = Literal["id", "text", "number"]

_KINDS: dict[str, dict[str, Any]] = {
    "id": {"no_wrap": True, "overflow": "ellipsis", "min_width": 4},
    "text": {"overflow": "fold", "min_width": 6},
    "number": {"no_wrap": True, "justify": "right"},
}


def table(*columns: tuple[str, Kind], title: str | None = None) -> Table:
    """A table of (header, kind) columns, its title on the left."""
    made = Table(title=title, title_justify="left")
    for header, kind in columns:
        made.add_column(header, **_KINDS[kind])
    return made
