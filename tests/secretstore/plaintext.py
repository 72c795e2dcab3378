"""A stand-in for keyrings.alt's PlaintextKeyring: writes secrets to a plain file under HOME."""

from __future__ import annotations

import os
from pathlib import Path

from keyring.backend import KeyringBackend


class PlaintextKeyring(KeyringBackend):
    priority = 0.5  # type: ignore[assignment]

    def _file(self) -> Path:
        return Path(os.environ["HOME"]) / "plaintext-keyring.txt"

    def get_password(self, service: str, username: str) -> str | None:
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        self._file().write_text(f"{service} {username} {password}\n")

    def delete_password(self, service: str, username: str) -> None:
        pass
