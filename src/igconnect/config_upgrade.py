"""Moving connections and trackers out of config.toml (written by igconnect 0.1) into the state store.

The first run that finds `[connections.*]` or `[trackers.*]` tables in the settings file moves them
in one go: everything is read and checked first; then, under the settings file's lock, a backup of
the file is written, the rows are inserted in one store transaction, and the file is rewritten
without those tables (comments and settings kept). The transaction commits only once the new file is
in place, and a failure at any step puts back what the earlier steps did: the upgrade happens
entirely or not at all.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from igconnect.connections.model import PROVIDERS, Account, Connection, Page, Reach, validate_name
from igconnect.errors import ConfigError, IgconnectError
from igconnect.timestamps import parse_iso
from igconnect.trackers.model import VOLUMES, Tracker, parse_tracker_ref

if TYPE_CHECKING:
    from igconnect.connections.store import ConnectionStore
    from igconnect.settings import ConfigFile
    from igconnect.state.db import StateStore
    from igconnect.trackers.store import TrackerStore

UPGRADE_MARK = "config_upgrade"  # meta key: the hash of the file that was moved


@dataclass
class _Moved:
    connections: list[tuple[Connection, Reach]] = field(default_factory=list)
    trackers: list[Tracker] = field(default_factory=list)
    stranded: list[str] = field(default_factory=list)  # trackers of a connection that is gone


def upgrade_config(config: ConfigFile, state: StateStore) -> str | None:
    """Move the data tables of `config` into `state`; return the one line to tell the user."""
    import tomlkit

    from igconnect.connections.store import ConnectionStore
    from igconnect.fileio import atomic_write_bytes, atomic_write_text, file_lock
    from igconnect.settings import DATA_TABLES, LOCK_TIMEOUT_SECONDS
    from igconnect.trackers.store import TrackerStore

    with file_lock(
        config.lock_path, timeout=LOCK_TIMEOUT_SECONDS, what=f"settings file {config.path}"
    ):
        original = config.path.read_bytes()
        doc = config.read()
        if not any(t in doc for t in DATA_TABLES):
            return None  # another process upgraded it meanwhile
        moved = _read_tables(doc, config.path)
        digest = hashlib.sha256(original).hexdigest()
        backup = _backup_path(config.path)
        for table in DATA_TABLES:
            doc.pop(table, None)
        new_text = tomlkit.dumps(doc)
        rewritten = False
        try:
            with state.transaction() as db:
                done_before = db.execute(
                    "SELECT value FROM meta WHERE key = ?", (UPGRADE_MARK,)
                ).fetchone()
                if done_before is None or done_before[0] != digest:
                    # (the same file moved before: only the rewrite below failed then)
                    _insert(ConnectionStore(db), TrackerStore(db), moved, config.path)
                    db.execute(
                        "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                        (UPGRADE_MARK, digest),
                    )
                atomic_write_bytes(backup, original, mode=0o600)
                atomic_write_text(config.path, new_text, mode=0o600)
                rewritten = True
        except BaseException:
            # The store rolled back: put the file back as it was, and drop the backup.
            if rewritten:
                atomic_write_bytes(config.path, original, mode=0o600)
            with contextlib.suppress(OSError):
                backup.unlink()
            raise
        # Committed: the file without its tables and the store with them are both in place.
    parts = [f"{len(moved.connections)} connection(s)", f"{len(moved.trackers)} tracker(s)"]
    line = (
        f"Moved {' and '.join(parts)} from {config.path.name} to the state store "
        f"({state.path}); the old file is kept as {backup}"
    )
    if moved.stranded:
        line += (
            f"; {len(moved.stranded)} tracker(s) whose connection no longer existed are now "
            f"unassigned: {', '.join(moved.stranded[:5])}"
        )
    return line


def _backup_path(path: Path) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    candidate = path.with_name(f"{path.name}.bak-{stamp}")
    n = 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}.bak-{stamp}-{n}")
    return candidate


def _insert(
    connections: ConnectionStore, trackers: TrackerStore, moved: _Moved, path: Path
) -> None:
    for connection, reach in moved.connections:
        existing = connections.by_id(connection.id)
        if existing is not None and existing.name == connection.name:
            continue  # already in the store
        taken = existing or connections.find(connection.name)
        if taken is not None:
            raise ConfigError(
                f"cannot move connection '{connection.name}' from {path}: the state store already "
                f"has connection '{taken.name}' with its {'id' if existing else 'name'}; nothing "
                "was changed",
                hint=f"remove the [connections.{connection.name}] table from {path} by hand, or "
                f"rename the stored one (`igconnect connections rename {taken.name} NEW`)",
            )
        connections.add(connection, reach)
    for tracker in moved.trackers:
        if trackers.find(tracker.key) is None:
            trackers.add(tracker)


# -- the old tables -------------------------------------------------------------------------------
def _read_tables(doc: Mapping[str, Any], path: Path) -> _Moved:
    """Every connection and tracker of the old file, checked before anything is written."""
    moved = _Moved()
    by_name: dict[str, Connection] = {}
    for name, table in _plain(doc.get("connections") or {}).items():
        try:
            connection, reach = _connection(str(name), table)
        except (IgconnectError, TypeError, ValueError, KeyError) as exc:
            raise _bad(path, f"connections.{name}", exc) from None
        moved.connections.append((connection, reach))
        by_name[connection.name] = connection
    for key, table in _plain(doc.get("trackers") or {}).items():
        try:
            tracker = _tracker(str(key), table)
        except (IgconnectError, TypeError, ValueError, KeyError) as exc:
            raise _bad(path, f"trackers.{key}", exc) from None
        owner = by_name.get(table.get("connection") or "")
        if table.get("connection") and owner is None:
            moved.stranded.append(tracker.key)
        tracker.connection_id = owner.id if owner else None
        tracker.connection = owner.name if owner else None
        moved.trackers.append(tracker)
    return moved


def _bad(path: Path, where: str, exc: BaseException) -> ConfigError:
    if isinstance(exc, IgconnectError):
        reason = exc.message
    elif isinstance(exc, KeyError):
        reason = f"'{exc.args[0]}' is missing"
    else:
        reason = str(exc)
    return ConfigError(
        f"cannot move [{where}] from {path} to the state store: {reason}; nothing was changed",
        hint="fix or remove that table by hand, then run the command again",
    )


def _plain(value: Any) -> Any:
    unwrap = getattr(value, "unwrap", None)
    return unwrap() if callable(unwrap) else value


def _connection(name: str, data: Mapping[str, Any]) -> tuple[Connection, Reach]:
    validate_name(name)
    provider = str(data.get("provider", "facebook"))
    if provider not in PROVIDERS:
        raise ValueError(f"unknown provider '{provider}'")
    connection = Connection(
        name=name,
        provider=provider,
        id=str(data["id"]),
        user_id=str(data.get("user_id", "")),
        user_name=str(data.get("user_name", "")),
        scopes_granted=[str(s) for s in data.get("scopes_granted", [])],
        scopes_declined=[str(s) for s in data.get("scopes_declined", [])],
        granular_scopes={
            str(k): [str(i) for i in v] for k, v in (data.get("granular_scopes") or {}).items()
        },
        token_expires_at=parse_iso(data.get("token_expires_at")),
        data_access_expires_at=parse_iso(data.get("data_access_expires_at")),
        created_at=parse_iso(data.get("created_at")) or datetime.now(UTC),
        renewed_at=parse_iso(data.get("renewed_at")),
        status=str(data.get("status", "ok")),
        broken_reason=data.get("broken_reason"),
        broken_at=parse_iso(data.get("broken_at")),
    )
    reach = Reach(
        accounts=[
            Account(
                id=str(a["id"]),
                username=str(a["username"]),
                page_id=a.get("page_id"),
                page_name=a.get("page_name"),
                account_type=a.get("account_type"),
            )
            for a in data.get("accounts", [])
        ],
        pages=[
            Page(
                id=str(p["id"]),
                name=str(p.get("name", "")),
                tasks=[str(t) for t in p.get("tasks", [])],
                instagram_account_id=p.get("instagram_account_id"),
            )
            for p in data.get("pages", [])
        ],
    )
    return connection, reach


def _tracker(key: str, data: Mapping[str, Any]) -> Tracker:
    kind, target = parse_tracker_ref(key)
    volume = str(data.get("volume", "normal"))
    if volume not in VOLUMES:
        raise ValueError(f"unknown volume '{volume}'")
    return Tracker(
        kind=kind,
        target=target,
        volume=volume,
        volume_source=str(data.get("volume_source", "default")),
        volume_measured_at=parse_iso(data.get("volume_measured_at")),
        account_id=data.get("account_id"),
        created_at=parse_iso(data.get("created_at")) or datetime.now(UTC),
        measured_posts=data.get("measured_posts"),
        measured_likes=data.get("measured_likes"),
    )
