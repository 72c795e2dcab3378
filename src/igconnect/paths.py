"""Where igconnect keeps its files: the settings file, the data dir and the state dir."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from igconnect.errors import ExitCode

APP_NAME = "igconnect"
CONFIG_FILE_NAME = "config.toml"


@dataclass(frozen=True)
class Paths:
    config_dir: Path
    data_dir: Path  # state store, archive, file token store
    state_dir: Path  # logs, locks, usage seen

    exit_code = ExitCode.OK  # `config path` shows them as its result

    def to_json(self) -> dict[str, str]:
        return {
            "config_file": str(self.config_file),
            "data_dir": str(self.data_dir),
            "state_dir": str(self.state_dir),
        }

    @property
    def config_file(self) -> Path:
        return self.config_dir / CONFIG_FILE_NAME

    @property
    def archive_file(self) -> Path:
        return self.data_dir / "archive.sqlite"

    @property
    def state_file(self) -> Path:
        return self.data_dir / "state.sqlite"

    @property
    def token_file(self) -> Path:
        return self.data_dir / "secrets.json"

    @property
    def log_dir(self) -> Path:
        return self.state_dir / "logs"

    @property
    def lock_dir(self) -> Path:
        return self.state_dir / "locks"

    @property
    def default_export_file(self) -> Path:
        return self.data_dir / "exports" / "stories.csv"


def resolve_paths(environ: dict[str, str] | None = None) -> Paths:
    """Platform directories, overridden by IGCONNECT_CONFIG_DIR and IGCONNECT_DATA_DIR."""
    env = os.environ if environ is None else environ
    config_override = env.get("IGCONNECT_CONFIG_DIR")
    data_override = env.get("IGCONNECT_DATA_DIR")
    if config_override and data_override:
        # Both set (tests, demo, cron): platformdirs is not needed at all.
        data = Path(data_override).expanduser()
        return Paths(Path(config_override).expanduser(), data, data / "state")

    import platformdirs

    config_dir = (
        Path(config_override).expanduser()
        if config_override
        else Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))
    )
    if data_override:
        data_dir = Path(data_override).expanduser()
        state_dir = data_dir / "state"
    else:
        data_dir = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
        state_dir = Path(platformdirs.user_state_dir(APP_NAME, appauthor=False))
    return Paths(config_dir, data_dir, state_dir)
