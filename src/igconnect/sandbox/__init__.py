"""A local simulation of the parts of Meta's platform igconnect uses.

Importing this package is cheap: `Sandbox` and `SandboxConfig` load on first use.

    from igconnect.sandbox import Sandbox, SandboxConfig
    with Sandbox(SandboxConfig(accounts=3)) as sb:
        print(sb.env())
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .config import SCENARIOS, SandboxConfig
    from .server import Sandbox

__all__ = ["SCENARIOS", "Sandbox", "SandboxConfig"]


def __getattr__(name: str) -> Any:
    if name in ("SandboxConfig", "SCENARIOS"):
        from . import config

        return getattr(config, name)
    if name == "Sandbox":
        from .server import Sandbox

        return Sandbox
    raise AttributeError(name)
