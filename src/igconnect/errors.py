"""One exception root for igconnect, and the process exit codes.

Every error a user can meet is an `IgconnectError`: it carries a one-line message, the next step to
take (`hint`) and the exit code the CLI ends with. The CLI translates them in one place.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum


class ExitCode(IntEnum):
    """Stable process exit codes, documented in docs/exit-codes.md."""

    OK = 0
    ERROR = 1  # unexpected failure
    USAGE = 2  # bad command line or bad value
    CONFIG = 3  # settings file unreadable or invalid
    AUTH = 4  # login needed, or a connection is broken (dead token)
    SECRET_STORE = 5  # keyring missing, locked, not answering, or refused
    RATE_LIMITED = 6  # Meta throttled us; try again later
    NETWORK = 7  # Meta could not be reached
    PARTIAL = 8  # some accounts or connections failed, the rest worked
    NOTHING_COLLECTED = 9  # a run collected nothing at all
    BUSY = 10  # another run holds the lock
    NOT_FOUND = 11  # unknown connection, tracker, setting
    CONFLICT = 12  # already exists / already connected / would overwrite
    LOGIN_FAILED = 13  # login cancelled, declined, timed out or forged
    FILESYSTEM = (
        14  # a file or folder cannot be created or written: read-only, no permission, in the way
    )
    DISK_FULL = 15  # no space left where igconnect writes
    DAMAGED = 16  # a database (the story archive) failed its check; nothing was written to it
    UNSAFE = (
        17  # a token was not sent: a file that steers it is writable by others, or a foreign host
    )
    PERMISSION_MISSING = 18  # a login or reconnect lacks a permission story collection needs
    DOCTOR_WARNINGS = 20  # doctor: warnings only
    DOCTOR_FAILURES = 21  # doctor: at least one failure
    INTERRUPTED = 130  # Ctrl-C


class IgconnectError(Exception):
    """Base of every error igconnect reports to its user."""

    exit_code: ExitCode = ExitCode.ERROR

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class UsageError(IgconnectError):
    exit_code = ExitCode.USAGE


class ConfigError(IgconnectError):
    exit_code = ExitCode.CONFIG


class NotFoundError(IgconnectError):
    """An unknown name; lists the close matches so the user can correct a typo."""

    exit_code = ExitCode.NOT_FOUND

    def __init__(
        self, what: str, name: str, known: Iterable[str], *, hint: str | None = None
    ) -> None:
        import difflib

        known = list(known)
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
        message = f"unknown {what} '{name}'"
        if close:
            message += "; did you mean " + ", ".join(f"'{c}'" for c in close) + "?"
        elif not known:
            message += f" (there are no {what}s yet)"
        super().__init__(message, hint=hint)
        self.name = name
        self.close_matches = close


class ConflictError(IgconnectError):
    exit_code = ExitCode.CONFLICT


class AuthError(IgconnectError):
    """Login needed, or a connection's token no longer works."""

    exit_code = ExitCode.AUTH


class LoginFailed(IgconnectError):
    exit_code = ExitCode.LOGIN_FAILED


class PermissionDeclined(IgconnectError):
    """A login came back without a permission that story collection needs (or a reconnect would
    have replaced a working token with one that can do less)."""

    exit_code = ExitCode.PERMISSION_MISSING

    def __init__(self, message: str, *, permissions: Iterable[str] = (), hint: str | None = None):
        super().__init__(message, hint=hint)
        self.permissions = list(permissions)


class SecretStoreError(IgconnectError):
    exit_code = ExitCode.SECRET_STORE


class NoKeyringError(SecretStoreError):
    """No usable keyring backend: the usual state under cron or SSH."""


class KeyringLockedError(SecretStoreError):
    pass


class KeyringTimeoutError(SecretStoreError):
    pass


class InsecureBackendError(SecretStoreError):
    """The keyring resolved to a fail/null/plaintext backend, which we never use silently."""


class FileStoreError(SecretStoreError):
    pass


class NetworkError(IgconnectError):
    exit_code = ExitCode.NETWORK


class RateLimitedError(IgconnectError):
    exit_code = ExitCode.RATE_LIMITED


class BusyError(IgconnectError):
    exit_code = ExitCode.BUSY


class PartialFailure(IgconnectError):
    exit_code = ExitCode.PARTIAL


class NothingCollected(IgconnectError):
    exit_code = ExitCode.NOTHING_COLLECTED


class FilesystemError(IgconnectError):
    """A file or folder igconnect needs cannot be created, read or written (not a full disk)."""

    exit_code = ExitCode.FILESYSTEM


class DiskFullError(IgconnectError):
    exit_code = ExitCode.DISK_FULL


class DamagedError(IgconnectError):
    """A SQLite file failed its integrity check: it is never written to until it is restored."""

    exit_code = ExitCode.DAMAGED


class UnsafeSetupError(IgconnectError):
    """A token would go somewhere the user did not choose: refused unless they opt in."""

    exit_code = ExitCode.UNSAFE
