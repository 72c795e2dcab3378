"""The one door to configuration: the table of known settings and the TOML settings file.

Values resolve in this order: environment variable (`IGCONNECT_<KEY>`), settings file, default. The
file is edited with tomlkit so the user's comments and order survive, under a file lock, and replaced
atomically. A file that cannot be read is never overwritten.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from igconnect.errors import ConfigError, ExitCode, NotFoundError, UsageError

if TYPE_CHECKING:
    from tomlkit import TOMLDocument

FORMAT_VERSION = 1
LOCK_TIMEOUT_SECONDS = 10.0
# Tables igconnect 0.1 kept in the settings file; the first run moves them to the state store
# (config_upgrade.py), so they are allowed here only until then.
DATA_TABLES = ("connections", "trackers")

_HEADER = (
    "igconnect settings. Change them with `igconnect config set KEY VALUE`.\n"
    "Secrets (tokens, the app secret) are never stored in this file."
)


@dataclass(frozen=True)
class Setting:
    key: str
    kind: str  # str, int, float, bool, choice, url, version, path, timezone, list (of text)
    default: Any
    help: str
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None

    @property
    def env(self) -> str:
        return "IGCONNECT_" + self.key.upper()

    def parse(self, raw: str, *, origin: str) -> Any:
        """Turn text from the command line or the environment into a value of this setting."""
        raw = raw.strip()
        if self.kind == "list":  # comma-separated on the command line and in the environment
            return self.check(
                [part.strip() for part in raw.split(",") if part.strip()], origin=origin
            )
        if self.kind == "bool":
            lowered = raw.lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off"):
                return False
            raise ConfigError(f"{origin}: '{raw}' is not true or false")
        if self.kind in ("int", "float"):
            try:
                number: float = int(raw) if self.kind == "int" else float(raw)
            except ValueError:
                what = "a whole number" if self.kind == "int" else "a number"
                raise ConfigError(f"{origin}: '{raw}' is not {what}") from None
            return self.check(number, origin=origin)
        return self.check(raw, origin=origin)

    def check(self, value: Any, *, origin: str) -> Any:
        """Validate a value already typed (from the TOML file, or parsed)."""
        if value is None:
            return None
        if self.kind == "list":
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                raise ConfigError(f"{origin}: expected a list of texts, got {value!r}")
            return list(dict.fromkeys(value))
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise ConfigError(f"{origin}: expected true or false, got {value!r}")
            return value
        if self.kind in ("int", "float"):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigError(f"{origin}: expected a number, got {value!r}")
            if self.kind == "int" and not float(value).is_integer():
                raise ConfigError(f"{origin}: expected a whole number, got {value!r}")
            if self.minimum is not None and value < self.minimum:
                raise ConfigError(f"{origin}: {value} is below the minimum {self.minimum:g}")
            if self.maximum is not None and value > self.maximum:
                raise ConfigError(f"{origin}: {value} is above the maximum {self.maximum:g}")
            return int(value) if self.kind == "int" else float(value)
        if not isinstance(value, str):
            raise ConfigError(f"{origin}: expected text, got {value!r}")
        value = str(value)
        if self.kind == "choice" and value not in self.choices:
            raise ConfigError(f"{origin}: '{value}' is not one of {', '.join(self.choices)}")
        if self.kind == "url" and not re.match(r"^https?://[^\s/]+(/\S*)?$", value):
            raise ConfigError(f"{origin}: '{value}' is not an http(s) URL")
        if self.kind == "version" and not re.fullmatch(r"v\d+\.\d+", value):
            raise ConfigError(f"{origin}: '{value}' is not a Graph API version such as v25.0")
        if self.kind == "timezone":
            from igconnect.analytics.sequences import zone

            try:
                zone(value)
            except ValueError:
                raise ConfigError(
                    f"{origin}: '{value}' is not an IANA time zone such as Europe/Paris"
                ) from None
        if self.kind == "url":
            value = value.rstrip("/")
        return value


SETTINGS: dict[str, Setting] = {
    s.key: s
    for s in [
        Setting("app_id", "str", None, "Meta app id (the secret lives in the secret store)"),
        Setting(
            "instagram_app_id",
            "str",
            None,
            "Instagram app id for Instagram Login (App Dashboard → Instagram → API setup with "
            "Instagram login; not the Meta app id; its secret lives in the secret store)",
        ),
        Setting(
            "token_store",
            "choice",
            "keyring",
            "where tokens and the app secret are kept: the OS keyring, or an opt-in 0600 file",
            choices=("keyring", "file"),
        ),
        Setting("keyring_timeout", "float", 5.0, "seconds to wait for the keyring", minimum=0.1),
        Setting("graph_url", "url", "https://graph.facebook.com", "Graph API (Facebook Login)"),
        Setting("facebook_url", "url", "https://www.facebook.com", "Facebook login dialog"),
        Setting(
            "instagram_graph_url",
            "url",
            "https://graph.instagram.com",
            "Graph API (Instagram Login)",
        ),
        Setting("instagram_url", "url", "https://www.instagram.com", "Instagram login dialog"),
        Setting(
            "instagram_api_url", "url", "https://api.instagram.com", "Instagram Login code exchange"
        ),
        Setting(
            "allow_other_endpoints",
            "bool",
            False,
            "let the endpoint settings send tokens to hosts other than Meta's and loopback (a "
            "proxy of your own)",
        ),
        Setting(
            "allow_writable_config",
            "bool",
            False,
            "send tokens even though config.toml or the secrets file is writable by others (from "
            "the environment only, when config.toml itself is)",
        ),
        Setting("graph_version", "version", "v25.0", "Graph API version put in every request"),
        Setting(
            "http_timeout", "float", 30.0, "seconds before a request to Meta gives up", minimum=1
        ),
        Setting(
            "http_retries", "int", 4, "retries of a transient Meta error", minimum=0, maximum=10
        ),
        Setting(
            "login_port",
            "int",
            8765,
            "loopback port of the login callback (register http://localhost:PORT/callback)",
            minimum=1,
            maximum=65535,
        ),
        Setting("login_timeout", "int", 300, "seconds to wait for the browser login", minimum=5),
        Setting(
            "login_pkce", "bool", True, "send PKCE (S256) with logins; turn off if Meta rejects it"
        ),
        Setting(
            "invite_expiry_days",
            "int",
            7,
            "days a `login --invite` link stays usable",
            minimum=1,
            maximum=90,
        ),
        Setting(
            "invite_redirect_uri",
            "url",
            None,
            "redirect URI of invite links (default http://localhost:PORT/callback; register it in "
            "the app)",
        ),
        Setting(
            "facebook_config_id",
            "str",
            None,
            "Facebook Login for Business configuration id (replaces the scope list)",
        ),
        Setting(
            "instagram_refresh_days",
            "int",
            30,
            "refresh an Instagram Login token once it is within this many days of expiry",
            minimum=1,
            maximum=59,
        ),
        Setting(
            "expiry_warning_days",
            "int",
            7,
            "warn when a token or data access expires within this many days",
            minimum=0,
        ),
        Setting(
            "tracker_capacity",
            "int",
            4,
            "recommended public accounts and hashtags per connection (they share its platform "
            "budget; managed accounts are not counted)",
            minimum=1,
        ),
        Setting(
            "high_volume_posts",
            "int",
            100,
            "posts a month that make an account high-volume",
            minimum=1,
        ),
        Setting(
            "high_volume_likes",
            "int",
            25000,
            "likes a month that make an account high-volume",
            minimum=1,
        ),
        Setting(
            "high_volume_hashtag_posts",
            "int",
            100000,
            "posts a month that make a hashtag high-volume",
            minimum=1,
        ),
        Setting(
            "export_concurrency",
            "int",
            50,
            "accounts collected at once (their requests share batches of up to 50)",
            minimum=1,
            maximum=200,
        ),
        Setting(
            "export_batch",
            "bool",
            True,
            "send the requests of accounts collected at once as Graph batch requests (Facebook "
            "Login); each item still counts as a call",
        ),
        Setting(
            "metric_recheck_days",
            "int",
            7,
            "a story metric Meta rejected is not asked for again for this many days",
            minimum=1,
        ),
        Setting(
            "export_lock_wait",
            "float",
            30.0,
            "seconds an overlapping export waits for the running one",
            minimum=0,
        ),
        Setting(
            "export_path",
            "path",
            None,
            "default output file of `export stories`, or a template with {kind} (and {date}) "
            "for every kind, e.g. ~/exports/{kind}-{date}.csv",
        ),
        Setting(
            "export_window_days",
            "int",
            7,
            "without --since, `export stories` writes the stories posted in the last N days (0: all)",
            minimum=0,
        ),
        Setting(
            "export_format", "choice", "csv", "default format of `export stories`", ("csv", "jsonl")
        ),
        Setting(
            "export_escape_formulas",
            "bool",
            True,
            "prefix ' to text cells a spreadsheet would run as a formula (=, +, -, @, tab, CR)",
        ),
        Setting(
            "archive_check_hours",
            "float",
            24.0,
            "hours between two checks of the archive before a run writes to it (0: every run; "
            "the check reads the whole file, ~0.3 s per 100 MB, so daily by default)",
            minimum=0,
        ),
        Setting(
            "archive_backups",
            "int",
            7,
            "daily archive backups to keep (0: none)",
            minimum=0,
            maximum=3650,
        ),
        Setting(
            "archive_backup_dir",
            "path",
            None,
            "folder of the daily archive backups (default: backups/ in the data dir; another disk "
            "is better)",
        ),
        Setting(
            "sequence_window",
            "choice",
            "day",
            "a sequence: an account's stories posted within one window (a local calendar day, or N hours from local midnight)",
            choices=("day", "12h", "8h", "6h", "4h", "3h", "2h", "1h"),
        ),
        Setting(
            "report_timezone",
            "timezone",
            "UTC",
            "IANA time zone of the accounts' days (sequences, report dates), e.g. Europe/Paris",
        ),
        Setting(
            "doctor_accept",
            "list",
            [],
            "doctor findings accepted as known and permanent: `CHECK-ID` or `CHECK-ID:SUBJECT` "
            "(a connection, @account, Page name or id); shown as accepted, they do not fail the "
            "exit code; `igconnect doctor --accept RULE` and `--unaccept RULE` edit it",
        ),
        Setting("report_title", "str", "Instagram story report", "title of `igconnect report`"),
        Setting(
            "report_logo", "path", None, "logo image (PNG, JPEG, GIF, WebP or SVG) in the report"
        ),
        Setting(
            "schedule_interval_minutes",
            "int",
            60,
            "how often the scheduled export runs (divides 60, or a multiple of 60 dividing 1440); "
            "a story that expires before the next run gets its final read",
            minimum=5,
            maximum=1440,
        ),
    ]
}


# Settings an older igconnect had, accepted in the file (and ignored) so an upgrade breaks nothing.
RETIRED_SETTINGS = {
    "export_breakdown_age_hours": "breakdowns are read at each story's final read",
}


def lookup(key: str) -> Setting:
    try:
        return SETTINGS[key]
    except KeyError:
        raise NotFoundError(
            "setting", key, SETTINGS, hint="run `igconnect config show` to list every setting"
        ) from None


class ConfigFile:
    """The settings file on disk."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock_path = path.with_name(path.name + ".lock")

    def read(self) -> TOMLDocument:
        """Parse and validate the file; a missing file reads as an empty document."""
        import tomlkit
        from tomlkit.exceptions import ParseError, TOMLKitError

        from igconnect.fileio import os_failure

        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return _new_document()
        except UnicodeDecodeError:
            raise self._broken("it is not UTF-8 text") from None
        except OSError as exc:  # a config dir that is a file, a folder we may not enter
            raise os_failure(exc, self.path, doing="read") from None
        try:
            doc = tomlkit.parse(text)
            doc.unwrap()  # tomlkit checks some tables (a key repeated in one) only when read
        except ParseError as exc:
            raise self._broken(f"line {exc.line}, column {exc.col}: {_parse_reason(exc)}") from None
        except TOMLKitError as exc:
            raise self._broken(f"{_strict_location(text)}{exc}") from None
        self._validate(doc, text)
        return doc

    @contextlib.contextmanager
    def edit(self) -> Iterator[TOMLDocument]:
        """Lock, re-read, let the caller change the document, validate, then replace atomically."""
        import tomlkit

        from igconnect.fileio import atomic_write_text, file_lock

        with file_lock(
            self.lock_path, timeout=LOCK_TIMEOUT_SECONDS, what=f"settings file {self.path}"
        ):
            doc = self.read()
            yield doc
            text = tomlkit.dumps(doc)
            self._validate(tomlkit.parse(text), text)
            atomic_write_text(self.path, text, mode=0o600)

    def _broken(self, reason: str) -> ConfigError:
        return ConfigError(
            f"cannot read settings file {self.path}: {reason}",
            hint="fix the file by hand (it was left as it is), or move it away to start afresh",
        )

    def _validate(self, doc: Mapping[str, Any], text: str) -> None:
        version = doc.get("version", FORMAT_VERSION)
        if not isinstance(version, int) or isinstance(version, bool):
            raise self._broken(f"{_where(text, 'version')}'version' must be a whole number")
        if version > FORMAT_VERSION:
            raise ConfigError(
                f"settings file {self.path} has format version {version}, newer than this igconnect "
                f"understands ({FORMAT_VERSION})",
                hint="upgrade igconnect (pip install -U igconnect)",
            )
        for key, value in doc.items():
            if key in DATA_TABLES:
                self._validate_data_table(key, value, text)
                continue
            if key == "version":
                continue
            setting = SETTINGS.get(key)
            if setting is None and key in RETIRED_SETTINGS:
                continue
            if setting is None:
                import difflib

                close = difflib.get_close_matches(key, SETTINGS, n=1)
                guess = f" (did you mean '{close[0]}'?)" if close else ""
                raise self._broken(f"{_where(text, key)}unknown setting '{key}'{guess}")
            try:
                setting.check(_plain(value), origin=key)
            except ConfigError as exc:
                raise self._broken(f"{_where(text, key)}{exc.message}") from None

    def _validate_data_table(self, key: str, value: Any, text: str) -> None:
        """The shape the upgrade to the state store reads: a table of tables."""
        if not isinstance(value, dict):
            raise self._broken(f"{_where(text, key)}'{key}' must be a table")
        for name, entry in value.items():
            if not isinstance(entry, dict):
                raise self._broken(
                    f"{_where(text, key, name)}'{key}.{name}' must be a table, not {_plain(entry)!r}"
                )


def _new_document() -> TOMLDocument:
    import tomlkit

    doc = tomlkit.document()
    for line in _HEADER.splitlines():
        doc.add(tomlkit.comment(line))
    doc.add("version", FORMAT_VERSION)
    return doc


def _parse_reason(exc: Exception) -> str:
    # tomlkit appends " at line L col C" to its messages; we already say where.
    reason = re.sub(r"\s+at line \d+ col \d+$", "", str(exc)) or "invalid TOML"
    # tomlkit reports the end of the file as the character NUL.
    return reason.replace("Unexpected character: '\\x00'", "unexpected end of file")


def _strict_location(text: str) -> str:
    """Where Python's strict TOML reader stops in `text` ("line L, column C: "), for the errors
    tomlkit reports without a place (a key repeated in a table)."""
    import tomllib

    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        if found:
            return f"line {found[1]}, column {found[2]}: "
    return ""


def _where(text: str, *path: str) -> str:
    """ "line N: " of the key or table header `path` (e.g. "connections", "acme") in `text`."""
    table: tuple[str, ...] = ()
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        header = re.fullmatch(r"\[\[?\s*(.+?)\s*\]\]?(\s*#.*)?", stripped)
        if header:
            table = _dotted(header[1])
            if table[: len(path)] == path:
                return f"line {number}: "
            continue
        assignment = re.match(r"([^=#\[]+?)\s*=", stripped)
        if assignment and (table + _dotted(assignment[1]))[: len(path)] == path:
            return f"line {number}: "
    return ""


def _dotted(key: str) -> tuple[str, ...]:
    """The parts of a TOML key: `a."b.c".d` → ("a", "b.c", "d")."""
    parts = re.findall(r'"((?:[^"\\]|\\.)*)"|\'([^\']*)\'|([^.\s"\']+)', key)
    return tuple(next(p for p in part if p) if any(part) else "" for part in parts)


def _plain(value: Any) -> Any:
    unwrap = getattr(value, "unwrap", None)
    return unwrap() if callable(unwrap) else value


class Settings:
    """Resolved settings: environment, then file, then default."""

    def __init__(self, doc: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> None:
        self._doc = doc
        self._env = os.environ if environ is None else environ

    def get(self, key: str) -> Any:
        value, _ = self.get_with_source(key)
        return value

    def get_with_source(self, key: str) -> tuple[Any, str]:
        setting = lookup(key)
        raw = self._env.get(setting.env)
        if raw not in (None, ""):
            return setting.parse(raw, origin=setting.env), "env"
        if key in self._doc:
            return setting.check(_plain(self._doc[key]), origin=key), "file"
        return setting.default, "default"

    def __getitem__(self, key: str) -> Any:
        return self.get(key)


@dataclass
class SettingValue:
    """One setting's value and where it comes from (`config get`, a row of `config show`)."""

    key: str
    value: Any
    source: str  # env | file | default
    env: str

    exit_code = ExitCode.OK

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "value": self.value, "source": self.source, "env": self.env}


@dataclass
class SettingValues:
    """`config show`: every setting, its value and where the value comes from."""

    file: Path
    settings: list[SettingValue]

    exit_code = ExitCode.OK

    def to_json(self) -> dict[str, Any]:
        return {
            "file": str(self.file),
            "settings": [s.to_json() for s in self.settings],
        }


def setting_values(settings: Settings, file: Path) -> SettingValues:
    rows = []
    for key, setting in SETTINGS.items():
        value, source = settings.get_with_source(key)
        rows.append(SettingValue(key, value, source, setting.env))
    return SettingValues(file, rows)


def setting_value(settings: Settings, key: str) -> SettingValue:
    value, source = settings.get_with_source(key)
    return SettingValue(key, value, source, lookup(key).env)


@dataclass
class SettingChange:
    """`config set` / `config unset`: the value the file holds now (None once unset), whether
    that changed anything, and whether the environment variable overrides the file."""

    key: str
    value: Any
    changed: bool
    env: str
    overridden: bool

    exit_code = ExitCode.OK

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "value": self.value,
            "changed": self.changed,
            "env": self.env,
            "overridden": self.overridden,
        }


def set_setting(doc: TOMLDocument, key: str, raw: str, environ: Mapping[str, str]) -> SettingChange:
    """`set_value`, told as a result."""
    before = _plain(doc[key]) if key in doc else None
    value = set_value(doc, key, raw)
    env = lookup(key).env
    return SettingChange(key, value, before != value, env, bool(environ.get(env)))


def unset_setting(doc: TOMLDocument, key: str, environ: Mapping[str, str]) -> SettingChange:
    """`unset_value`, told as a result."""
    removed = unset_value(doc, key)
    env = lookup(key).env
    return SettingChange(key, None, removed, env, bool(environ.get(env)))


def set_value(doc: TOMLDocument, key: str, raw: str) -> Any:
    """Validate `raw` for the setting `key` and store it in the document; returns the typed value."""
    setting = lookup(key)
    try:
        value = setting.parse(raw, origin=key)
    except ConfigError as exc:
        raise UsageError(exc.message, hint=f"{key}: {setting.help}") from None
    doc[key] = value
    return value


def unset_value(doc: TOMLDocument, key: str) -> bool:
    lookup(key)
    if key in doc:
        del doc[key]
        return True
    return False


def settings_table_markdown() -> str:
    """The table of every setting, for docs/configuration.md (kept in sync by a test)."""
    lines = [
        "| setting | environment variable | default | what it does |",
        "| --- | --- | --- | --- |",
    ]
    for setting in SETTINGS.values():
        default = setting.default
        shown = (
            "(none)"
            if default is None
            else "[]"
            if default == []
            else str(default).lower()
            if isinstance(default, bool)
            else str(default)
        )
        if setting.choices:
            shown += " (" + " or ".join(setting.choices) + ")"
        lines.append(f"| `{setting.key}` | `{setting.env}` | `{shown}` | {setting.help} |")
    return "\n".join(lines) + "\n"


def write_settings_doc(path: Path | None = None) -> None:
    path = path or Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
    begin, end = "<!-- settings:begin -->\n", "<!-- settings:end -->"
    text = path.read_text(encoding="utf-8")
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    path.write_text(head + begin + settings_table_markdown() + end + tail, encoding="utf-8")
