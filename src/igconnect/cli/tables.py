"""Tables that fit the width of `CliContext.out`: each column's kind says how it gives way when the
table is too wide. Ids and names keep one line and end in "…" (a cut id still reads as which one);
messages and lists fold onto more lines (nothing in them is lost); numbers stay whole.

rich alone narrows only the columns that may wrap, and the widest first: the one column that says
what is wrong folded to a sliver while an empty one kept its room, and a row of ids stayed wider
than the terminal. So the room is shared here: every column first gets a floor (its whole width
when narrow, else 12, 10, 8 or 6 columns, never less than a word of its header), then what is left
goes to the columns in proportion to what they still lack. When not even that fits, the cells lose
their padding.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal

from rich.cells import cell_len
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderResult

Kind = Literal["id", "text", "number"]

_KINDS: dict[str, dict[str, Any]] = {
    "id": {"no_wrap": True, "overflow": "ellipsis"},
    "text": {"overflow": "fold"},
    "number": {"no_wrap": True, "justify": "right"},
}
# The narrowest an id or text column is made while another is wider: the first of these that lets
# every column keep its floor (at the last, the width of its header).
FLOORS = (12, 10, 8, 6, 0)
_PADDING = 2  # one space each side of every cell (rich's default)


class FittingTable(Table):
    """A rich Table that sets its column widths to fit the width it is printed in."""

    def __init__(self, kinds: list[Kind], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kinds = kinds

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        self.padding = (0, 1)
        widths = self._widths(options.max_width, padding=_PADDING)
        if widths is None:  # too many columns for the room: the cells touch the borders
            self.padding = (0, 0)
            widths = self._widths(options.max_width, padding=0) or [None] * len(self.columns)
        for column, width in zip(self.columns, widths, strict=True):
            column.width = width
        # the title wraps like a message, even when the console prints with soft wrap
        return super().__rich_console__(console, options.update(no_wrap=False, overflow="fold"))

    def _widths(self, room: int, *, padding: int) -> list[int | None] | None:
        """The width of each column's content (each None: as rich measures it, when all fits);
        None when not even the floors fit."""
        cells = [list(c.cells) for c in self.columns]
        content = [max((_longest(cell) for cell in column), default=0) for column in cells]
        natural = [max(_longest(c.header), n) for c, n in zip(self.columns, content, strict=True)]
        borders = len(self.columns) + 1 if self.box else 0
        room -= borders + padding * len(self.columns)
        if sum(natural) <= room:
            return [None] * len(natural)
        # a header may wrap between its words; a text column would rather not break a word (a
        # date, a name) than give room to another
        headers = [_longest_word(c.header) for c in self.columns]
        words = [
            max((_longest_word(cell) for cell in column), default=0) if kind == "text" else 0
            for column, kind in zip(cells, self.kinds, strict=True)
        ]
        for least in FLOORS:
            floors = [
                max(n, h)
                if k == "number"
                else min(full, max(least, h, min(w, least + 8) if least else 0))
                for n, full, k, h, w in zip(
                    content, natural, self.kinds, headers, words, strict=True
                )
            ]
            if sum(floors) <= room:
                spare = room - sum(floors)
                wants = [n - f for n, f in zip(natural, floors, strict=True)]
                return [f + s for f, s in zip(floors, _share(spare, wants), strict=True)]
        return None


def _longest(cell: Any) -> int:
    text = cell.plain if hasattr(cell, "plain") else str(cell)
    return max((cell_len(line) for line in text.splitlines()), default=0)


def _longest_word(cell: Any) -> int:
    text = cell.plain if hasattr(cell, "plain") else str(cell)
    return max((cell_len(word) for word in text.split()), default=0)


def _share(spare: int, wants: Iterable[int]) -> list[int]:
    """`spare` split in proportion to `wants` (never more than a column wants), whole numbers
    by the largest remainder."""
    wants = list(wants)
    total = sum(wants)
    if total <= spare:
        return wants
    exact = [spare * w / total for w in wants]
    shares = [int(x) for x in exact]
    by_remainder = sorted(range(len(wants)), key=lambda i: exact[i] - shares[i], reverse=True)
    for i in by_remainder[: spare - sum(shares)]:
        shares[i] += 1
    return shares


def table(*columns: tuple[str, Kind], title: str | None = None) -> FittingTable:
    """A table of (header, kind) columns, its title on the left."""
    # "default": on the left, and not padded with spaces to the width of the table
    made = FittingTable([kind for _header, kind in columns], title=title, title_justify="default")
    for header, kind in columns:
        # a header wraps between its words in any kind of column ("token / days")
        made.add_column(Text(header, no_wrap=False, overflow="fold"), **_KINDS[kind])
    return made
