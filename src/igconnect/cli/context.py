"""The per-invocation context handed to every command: runtime, consoles and global flags."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import typer
from rich.console import Console

from igconnect.cli.collapse import collapse
from igconnect.redact import RedactingFilter, redact
from igconnect.runtime import Runtime

# Output read by no terminal at all (cron mail, a log file): wide enough for most tables, narrow
# enough to read in a mail client. A pipe with a terminal behind it takes the terminal's width.
PIPE_WIDTH = 120


def output_width(environ: Mapping[str, str], streams: Iterable[object]) -> int:
    """The width tables are laid out to: COLUMNS, else the first terminal among `streams`
    (stdout piped into `less` still has stderr on the terminal), else PIPE_WIDTH."""
    columns = environ.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    for stream in streams:
        try:
            return os.get_terminal_size(stream.fileno()).columns  # type: ignore[attr-defined]
        except (AttributeError, OSError, ValueError):
            continue
    return PIPE_WIDTH


@dataclass
class CliContext:
    verbose: int = 0
    debug: bool = False
    json: bool = False
    runtime: Runtime = field(default_factory=Runtime)

    @cached_property
    def out(self) -> Console:
        """Data goes to stdout; never read captions or API data as markup. Tables fit the width
        (`output_width`); plain lines are never cut (soft wrap), so a path or URL stays whole."""
        width = output_width(os.environ, (sys.stdout, sys.stderr, sys.stdin))
        return Console(file=sys.stdout, markup=False, highlight=False, soft_wrap=True, width=width)

    @cached_property
    def err(self) -> Console:
        """Messages go to stderr."""
        width = output_width(os.environ, (sys.stderr, sys.stdout, sys.stdin))
        return Console(file=sys.stderr, highlight=False, soft_wrap=True, width=width)

    @property
    def interactive(self) -> bool:
        """A person at a terminal: only then prompts, spinners and progress bars."""
        return sys.stdin.isatty() and sys.stderr.isatty()

    def wants_json(self, flag: bool = False) -> bool:
        return self.json or flag

    # -- talking to the user ---------------------------------------------------------------------
    def info(self, message: str) -> None:
        self.err.print(redact(message), markup=False)

    def detail(self, message: str) -> None:
        if self.verbose:
            self.err.print(redact(message), markup=False, style="dim")

    def success(self, message: str) -> None:
        self.err.print("✓ " + redact(message), style="green", markup=False)

    def warn(self, message: str) -> None:
        self.err.print("Warning: " + redact(message), style="yellow", markup=False)

    def warn_all(self, messages: Iterable[str]) -> None:
        """A list of warnings, each distinct one once with its count (`collapse`)."""
        for message in collapse(messages):
            self.warn(message)

    def flush_warnings(self) -> None:
        """Print what the runtime gathered (an upgrade done, the plaintext token store), once each:
        these are states noted wherever they were seen, not events to count."""
        for message in dict.fromkeys(self.runtime.notices):
            self.info(message)
        self.runtime.notices.clear()
        for message in dict.fromkeys(self.runtime.warnings):
            self.warn(message)
        self.runtime.warnings.clear()

    def emit_json(self, data: Any, *, to_stderr: bool = False) -> None:
        """`data` as JSON on stdout (on stderr when stdout carries something else, such as the
        export's rows)."""
        stream = self.err.file if to_stderr else self.out.file
        # Indented for a person at a terminal; one compact line for a program (json's fast
        # encoder only runs without indentation: a 10,000-tracker listing takes 0.1 s, not 0.5).
        indent = 2 if stream.isatty() else None
        text = json.dumps(data, indent=indent, default=str, ensure_ascii=False)
        # Straight to the stream: rich would lay out every line of a 10,000-tracker listing.
        stream.write(redact(text) + "\n")
        stream.flush()

    def setup_logging(self) -> None:
        level = logging.DEBUG if self.debug else logging.INFO if self.verbose else logging.WARNING
        handler = logging.StreamHandler(sys.stderr)
        handler.addFilter(RedactingFilter())
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root = logging.getLogger("igconnect")
        root.handlers[:] = [handler]
        root.setLevel(level)
        root.propagate = False
        # httpx logs whole URLs at INFO; the OAuth exchanges carry secrets in theirs.
        for noisy in ("httpx", "httpcore"):
            logging.getLogger(noisy).setLevel(logging.WARNING)


def get(ctx: typer.Context) -> CliContext:
    """The CliContext of the root callback (a fresh one when a command is invoked on its own)."""
    root = ctx.find_root()
    if not isinstance(root.obj, CliContext):
        root.obj = CliContext()
    return root.obj
