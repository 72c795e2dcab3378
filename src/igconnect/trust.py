"""Where a token may be sent, and the files that decide it.

The endpoint settings (in config.toml or the environment) decide where igconnect sends tokens and
the app secret; the secrets file (the opt-in file store) holds them. So before a Graph client is
built, `guard_token_destination` refuses (UnsafeSetupError, exit 17) when:

- config.toml, the secrets file, or the folder holding either, can be written by someone other
  than their owner (who must be the user running igconnect, or root); or
- the URL is not https on one of Meta's hosts, nor a loopback address (the sandbox).

Each can be waived on purpose: `allow_writable_config` and `allow_other_endpoints`. A waiver written
in a config.toml that others can write is ignored: such a file cannot vouch for itself, so then
only the environment (`IGCONNECT_ALLOW_WRITABLE_CONFIG=true`) counts.

`loose_modes` lists every igconnect file or folder others could read or write, for doctor.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from igconnect.errors import UnsafeSetupError

if TYPE_CHECKING:
    from igconnect.paths import Paths

META_HOSTS = frozenset(
    {
        "graph.facebook.com",
        "www.facebook.com",
        "graph.instagram.com",
        "www.instagram.com",
        "api.instagram.com",
    }
)
ENDPOINT_SETTINGS = (
    "graph_url",
    "facebook_url",
    "instagram_graph_url",
    "instagram_url",
    "instagram_api_url",
)
SECURITY_DOC = "docs/security.md"


class _Settings(Protocol):
    def get(self, key: str) -> Any: ...

    def get_with_source(self, key: str) -> tuple[Any, str]: ...


@dataclass(frozen=True)
class LooseMode:
    """An igconnect file or folder that others can write (or, for data, read)."""

    path: Path
    mode: int
    problem: str  # "writable by others", "readable by others", "owned by uid 1001"
    fix: str
    steers_tokens: bool  # sending a token is refused while it stays so

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "mode": f"{self.mode:04o}",
            "problem": self.problem,
            "fix": self.fix,
            "steers_tokens": self.steers_tokens,
        }


def guard_token_destination(url: str, settings: _Settings, paths: Paths) -> None:
    """Raise UnsafeSetupError unless a token may be sent to `url` (see the module's docstring)."""
    loose = steering_loose(paths, token_store=settings.get("token_store"))
    if loose and not _waived(settings, "allow_writable_config", paths):
        first = loose[0]
        raise UnsafeSetupError(
            f"refusing to send a token: {first.path} is {first.problem} (mode {first.mode:04o}), "
            "so someone else could change where tokens go",
            hint=f"run `{first.fix}` and look for changes you did not make; to accept it anyway, "
            f"IGCONNECT_ALLOW_WRITABLE_CONFIG=true ({SECURITY_DOC})",
        )
    problem = destination_problem(url)
    if problem and not _waived(settings, "allow_other_endpoints", paths):
        setting = next((k for k in ENDPOINT_SETTINGS if settings.get(k) == url), None)
        which = f"`{setting}`" if setting else "an endpoint setting"
        fix = f"`igconnect config unset {setting}`" if setting else "`igconnect config show`"
        raise UnsafeSetupError(
            f"refusing to send a token to {url}: {which} {problem}",
            hint=f"{fix} (and unset its IGCONNECT_ variable) to use Meta's own; a proxy of your own "
            f"needs `igconnect config set allow_other_endpoints true` ({SECURITY_DOC})",
        )


def destination_problem(url: str) -> str | None:
    """Why `url` is not a place for tokens, or None: https on Meta's hosts, or loopback."""
    import ipaddress
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return None
    try:
        if ipaddress.ip_address(host).is_loopback:
            return None
    except ValueError:
        pass
    if host not in META_HOSTS:
        return f"points at {host or 'no host'}, which is neither Meta's nor this machine"
    if parts.scheme != "https":
        return f"uses {parts.scheme or 'no scheme'} instead of https"
    return None


def _waived(settings: _Settings, key: str, paths: Paths) -> bool:
    value, source = settings.get_with_source(key)
    # A waiver written in a config.toml others can write is no waiver.
    return bool(value) and not (source == "file" and _loose(paths.config_file) is not None)


# -- modes -------------------------------------------------------------------------------------------
def steering_loose(paths: Paths, *, token_store: str) -> list[LooseMode]:
    """The loose ones among the files that steer tokens, and their folders."""
    steering = [paths.config_dir, paths.config_file]
    if token_store == "file":
        steering += [paths.token_file.parent, paths.token_file]
    found = [_loose(path) for path in dict.fromkeys(steering)]
    return [finding for finding in found if finding is not None]


def loose_modes(paths: Paths, *, token_store: str = "keyring") -> list[LooseMode]:
    """Every igconnect file or folder that is loose: writable by others (all of them), or readable
    by others (the data dir, the state dir, the secrets, the state store, the archive). Missing ones
    are skipped."""
    found = steering_loose(paths, token_store=token_store)
    seen = {finding.path for finding in found}
    private = [paths.data_dir, paths.state_dir, paths.token_file, paths.state_file]
    for path in [*private, paths.archive_file]:
        if path not in seen:
            finding = _loose(path, steers=False, private=True)
            if finding is not None:
                seen.add(path)
                found.append(finding)
    return found


def _loose(path: Path, *, steers: bool = True, private: bool = False) -> LooseMode | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    mode = stat.S_IMODE(info.st_mode)
    if info.st_uid not in (os.geteuid(), 0):
        return LooseMode(path, mode, f"owned by uid {info.st_uid}", f"chown $USER {path}", steers)
    if _others_can_write(info):
        return LooseMode(path, mode, "writable by others", f"chmod go-w {path}", steers)
    if private and mode & 0o077:
        fix = f"chmod 700 {path}" if stat.S_ISDIR(info.st_mode) else f"chmod 600 {path}"
        return LooseMode(path, mode, "readable by others", fix, False)
    return None


def _others_can_write(info: os.stat_result) -> bool:
    """World-writable (a sticky folder excepted), or group-writable for a group that is more than
    the owner's own private group (the umask-002 distributions give every user one)."""
    mode = info.st_mode
    sticky_dir = stat.S_ISDIR(mode) and mode & stat.S_ISVTX
    if mode & stat.S_IWOTH and not sticky_dir:
        return True
    if not mode & stat.S_IWGRP:
        return False
    return not _private_group(info.st_gid, info.st_uid)


def _private_group(gid: int, uid: int) -> bool:
    import grp
    import pwd

    try:
        owner = pwd.getpwuid(uid)
        group = grp.getgrgid(gid)
    except KeyError:
        return False
    return owner.pw_gid == gid and set(group.gr_mem) <= {owner.pw_name}
