"""The one door to secrets: tokens and the Meta app secret.

By default secrets live in the OS keyring (service name `igconnect`). Every keyring call is bounded by a
timeout, and the backend keyring picks is checked against an allow-list: the fail, null and plaintext
backends are refused, never used silently. The opt-in file store keeps secrets in one 0600 file.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from igconnect.errors import (
    FileStoreError,
    InsecureBackendError,
    KeyringLockedError,
    KeyringTimeoutError,
    NoKeyringError,
    SecretStoreError,
)
from igconnect.redact import remember_secret

SERVICE = "igconnect"
APP_SECRET_KEY = "app_secret"

# Real OS keyrings. Anything else (fail, null, keyrings.alt's plaintext files) is refused.
ALLOWED_BACKENDS = {
    "keyring.backends.SecretService.Keyring",
    "keyring.backends.libsecret.Keyring",
    "keyring.backends.kwallet.DBusKeyring",
    "keyring.backends.macOS.Keyring",
    "keyring.backends.Windows.WinVaultKeyring",
}

OPT_INTO_FILE_STORE = "igconnect config set token_store file"
_NO_KEYRING_HINT = (
    "no D-Bus session is reachable (usual under cron or SSH): run where your desktop session is, "
    "export that session's DBUS_SESSION_BUS_ADDRESS (see `igconnect schedule show`), or opt into "
    f"the file store with `{OPT_INTO_FILE_STORE}`"
)

T = TypeVar("T")


def token_key(connection_id: str) -> str:
    return f"token:{connection_id}"


class SecretStore(ABC):
    """Where secrets are kept. Values read or written are registered for redaction."""

    description: str
    is_plaintext: bool = False

    @abstractmethod
    def get(self, key: str) -> str | None: ...

    @abstractmethod
    def set(self, key: str, value: str) -> None: ...

    @abstractmethod
    def delete(self, key: str) -> bool: ...

    def check(self) -> None:
        """Raise a SecretStoreError if the store cannot be used right now."""
        self.get("__igconnect_probe__")


def backend_name(backend: object) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


class KeyringStore(SecretStore):
    """The OS keyring, through the `keyring` package."""

    def __init__(self, timeout: float = 5.0, backend: Any = None) -> None:
        self.timeout = timeout
        self._backend = backend
        self.description = "OS keyring"

    def backend(self) -> Any:
        if self._backend is None:
            self._backend = self._bounded(self._resolve_backend)
            self.description = f"OS keyring ({backend_name(self._backend)})"
        return self._backend

    def get(self, key: str) -> str | None:
        backend = self.backend()
        value: str | None = self._bounded(lambda: backend.get_password(SERVICE, key))
        remember_secret(value)
        return value

    def set(self, key: str, value: str) -> None:
        remember_secret(value)
        backend = self.backend()
        self._bounded(lambda: backend.set_password(SERVICE, key, value))

    def delete(self, key: str) -> bool:
        import keyring.errors

        backend = self.backend()

        def _delete() -> bool:
            try:
                backend.delete_password(SERVICE, key)
            except keyring.errors.PasswordDeleteError:
                return False
            return True

        return self._bounded(_delete)

    @staticmethod
    def _resolve_backend() -> Any:
        import keyring

        try:
            backend = keyring.get_keyring()
        except Exception as exc:  # the backend keyring was told to load does not load
            raise _unloadable_backend(exc) from None
        chained = getattr(backend, "backends", None)
        candidates = list(chained) if chained is not None else [backend]
        for candidate in candidates:
            if backend_name(candidate) in ALLOWED_BACKENDS:
                return candidate
        names = ", ".join(backend_name(c) for c in candidates) or "none"
        if all(type(c).__module__ == "keyring.backends.fail" for c in candidates):
            raise NoKeyringError("no OS keyring is available", hint=_NO_KEYRING_HINT)
        raise InsecureBackendError(
            f"the keyring backend in use ({names}) is not a real OS keyring; igconnect will not "
            "store secrets in it",
            hint="uninstall keyrings.alt or set PYTHON_KEYRING_BACKEND to a real keyring, or opt "
            f"into the 0600 file store with `{OPT_INTO_FILE_STORE}`",
        )

    def _bounded(self, call: Callable[[], T]) -> T:
        """Run a keyring call in a worker thread so a hung D-Bus cannot hang igconnect."""
        result: dict[str, Any] = {}

        def run() -> None:
            try:
                result["value"] = call()
            except BaseException as exc:  # handed back to the caller's thread
                result["error"] = exc

        worker = threading.Thread(target=run, name="igconnect-keyring", daemon=True)
        worker.start()
        worker.join(self.timeout)
        if worker.is_alive():
            raise KeyringTimeoutError(
                f"the OS keyring did not answer within {self.timeout:g} s",
                hint="unlock or restart the keyring daemon, or raise `keyring_timeout`",
            )
        if "error" in result:
            raise _translate(result["error"]) from None
        return result["value"]


def _translate(exc: BaseException) -> BaseException:
    import keyring.errors

    if isinstance(exc, SecretStoreError):
        return exc
    if isinstance(exc, keyring.errors.KeyringLocked):
        return KeyringLockedError(
            "the OS keyring is locked",
            hint="unlock it (log in to the desktop session, or `gnome-keyring-daemon --unlock`), "
            "then try again",
        )
    if isinstance(exc, keyring.errors.NoKeyringError | keyring.errors.InitError):
        return NoKeyringError("no OS keyring is available", hint=_NO_KEYRING_HINT)
    if isinstance(exc, Exception):  # D-Bus and backend errors too
        return SecretStoreError(
            f"the OS keyring failed: {type(exc).__name__}",
            hint="check that the keyring daemon is running and unlocked",
        )
    return exc  # KeyboardInterrupt and the like


def _unloadable_backend(exc: Exception) -> SecretStoreError:
    """The keyring library could not load the backend it was pointed at (PYTHON_KEYRING_BACKEND
    or keyringrc.cfg): an unknown module, an empty name, Secret Service without D-Bus."""
    named = os.environ.get("PYTHON_KEYRING_BACKEND")
    where = f"PYTHON_KEYRING_BACKEND={named!r}" if named is not None else "keyringrc.cfg"
    if not isinstance(exc, ImportError | ValueError) and not os.environ.get(
        "DBUS_SESSION_BUS_ADDRESS"
    ):
        hint = _NO_KEYRING_HINT
    else:  # a name that does not load
        hint = (
            "unset PYTHON_KEYRING_BACKEND (or fix keyringrc.cfg), or name an installed backend "
            f"(`python3 -m keyring --list-backends`); or opt into the file store with "
            f"`{OPT_INTO_FILE_STORE}`"
        )
    detail = " ".join(str(exc).split()) or type(exc).__name__
    return NoKeyringError(
        f"the keyring backend chosen by {where} cannot be used ({type(exc).__name__}: {detail})",
        hint=hint,
    )


class FileStore(SecretStore):
    """Opt-in plaintext store: one JSON file, mode 0600, refused if its mode is looser."""

    is_plaintext = True

    def __init__(self, path: Path) -> None:
        self.path = path
        self.description = f"file {path} (plaintext, opt-in)"

    def get(self, key: str) -> str | None:
        value = self._read().get(key)
        remember_secret(value)
        return value

    def set(self, key: str, value: str) -> None:
        remember_secret(value)
        with self._locked():
            data = self._read()
            data[key] = value
            self._write(data)

    def delete(self, key: str) -> bool:
        with self._locked():
            data = self._read()
            if key not in data:
                return False
            del data[key]
            self._write(data)
            return True

    def check(self) -> None:
        self._read()

    def _read(self) -> dict[str, str]:
        try:
            mode = stat.S_IMODE(os.stat(self.path).st_mode)
        except FileNotFoundError:
            return {}
        if mode & 0o077:
            raise FileStoreError(
                f"secret file {self.path} is readable by others (mode {mode:04o})",
                hint=f"run `chmod 600 {self.path}` and check who may have read it",
            )
        try:
            data = json.loads(self.path.read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError) as exc:
            raise FileStoreError(
                f"cannot read secret file {self.path}: {type(exc).__name__}",
                hint="restore it from a backup, or move it away and log in again",
            ) from None
        if not isinstance(data, dict):
            raise FileStoreError(f"secret file {self.path} is not a JSON object")
        return {str(k): str(v) for k, v in data.items()}

    def _write(self, data: dict[str, str]) -> None:
        from igconnect.fileio import atomic_write_text, ensure_dir

        ensure_dir(self.path.parent)
        atomic_write_text(self.path, json.dumps(data, indent=1, sort_keys=True), mode=0o600)

    @contextlib.contextmanager
    def _locked(self) -> Any:
        from igconnect.fileio import file_lock

        with file_lock(
            self.path.with_name(self.path.name + ".lock"),
            timeout=10,
            what=f"secret file {self.path}",
        ):
            yield


class MemoryStore(SecretStore):
    """In-memory store for unit tests and the demo's throwaway home."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}
        self.description = "memory"

    def get(self, key: str) -> str | None:
        value = self.values.get(key)
        remember_secret(value)
        return value

    def set(self, key: str, value: str) -> None:
        remember_secret(value)
        self.values[key] = value

    def delete(self, key: str) -> bool:
        return self.values.pop(key, None) is not None


def open_secret_store(token_store: str, *, keyring_timeout: float, file_path: Path) -> SecretStore:
    """The store the settings ask for. Never falls back from the keyring to the file silently."""
    if token_store == "file":
        return FileStore(file_path)
    return KeyringStore(timeout=keyring_timeout)
