"""The scheduled export: a crontab line and a systemd service/timer, and the user's crontab edits.

Cron runs jobs with `PATH=/usr/bin:/bin`, no TTY and no D-Bus session, so the line names the
executable by its absolute path and carries the environment the export needs: the session keyring's
D-Bus address (token_store = keyring) or IGCONNECT_TOKEN_STORE=file, and the config/data dirs if
they were moved. A marker comment makes `install` idempotent and lets `remove` find the line again.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from igconnect.errors import ConfigError, ExitCode, IgconnectError, UsageError

if TYPE_CHECKING:
    from igconnect.runtime import Runtime

MARKER = "# igconnect-export (managed by `igconnect schedule`)"
PASSED_ENV = ("IGCONNECT_CONFIG_DIR", "IGCONNECT_DATA_DIR")


@dataclass
class Schedule:
    interval_minutes: int
    executable: list[str]  # argv of igconnect: [path] or [python, -m, igconnect]
    environment: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    exit_code = ExitCode.OK  # `schedule show` shows it as its result

    def to_json(self) -> dict[str, Any]:
        return {
            "interval_minutes": self.interval_minutes,
            "crontab_line": self.crontab_line,
            "systemd_service": self.systemd_service,
            "systemd_timer": self.systemd_timer,
            "environment": self.environment,
            "warnings": self.warnings,
        }

    @property
    def command(self) -> str:
        # Every kind that has trackers (stories, profiles, hashtags) in one locked run.
        return " ".join(shlex.quote(p) for p in self.executable) + " export --quiet"

    @property
    def cron_fields(self) -> str:
        return cron_fields(self.interval_minutes)

    @property
    def crontab_line(self) -> str:
        for value in self.environment.values():
            check_environment_value(value)
        env = " ".join(f"{k}={shlex.quote(v)}" for k, v in self.environment.items())
        return f"{self.cron_fields} {env + ' ' if env else ''}{self.command} {MARKER}"

    @property
    def systemd_service(self) -> str:
        lines = [
            "[Unit]",
            "Description=igconnect export (stories, profiles, hashtags)",
            "",
            "[Service]",
            "Type=oneshot",
        ]
        lines += [f'Environment="{k}={v}"' for k, v in self.environment.items()]
        lines += [f"ExecStart={self.command}", ""]
        return "\n".join(lines)

    @property
    def systemd_timer(self) -> str:
        return "\n".join(
            [
                "[Unit]",
                f"Description=igconnect export, every {self.interval_minutes} minutes",
                "",
                "[Timer]",
                f"OnCalendar={on_calendar(self.interval_minutes)}",
                "Persistent=true",
                "RandomizedDelaySec=60",
                "",
                "[Install]",
                "WantedBy=timers.target",
                "",
            ]
        )


def validate_interval(minutes: int) -> int:
    """Cron can only express intervals that divide the hour or the day evenly."""
    if minutes < 60 and 60 % minutes == 0:
        return minutes
    if minutes >= 60 and minutes % 60 == 0 and 1440 % minutes == 0:
        return minutes
    raise ConfigError(
        f"schedule_interval_minutes = {minutes} cannot be written as a cron schedule",
        hint="use a divisor of 60 (5, 10, 15, 20, 30) or a multiple of 60 that divides 1440 "
        "(60, 120, 180, 240, 360, 480, 720, 1440): `igconnect config set "
        "schedule_interval_minutes 60`",
    )


def cron_fields(minutes: int) -> str:
    validate_interval(minutes)
    if minutes < 60:
        return f"*/{minutes} * * * *"
    hours = minutes // 60
    return "0 * * * *" if hours == 1 else ("0 0 * * *" if hours == 24 else f"0 */{hours} * * *")


def on_calendar(minutes: int) -> str:
    validate_interval(minutes)
    if minutes < 60:
        return f"*:0/{minutes}"
    hours = minutes // 60
    return "hourly" if hours == 1 else f"0/{hours}:00"


def executable() -> list[str]:
    """The absolute path of the `igconnect` being run (cron's PATH would not find a venv's)."""
    argv0 = Path(sys.argv[0])
    if argv0.name == "igconnect" and argv0.exists():
        return [str(argv0.absolute())]
    found = shutil.which("igconnect")
    if found:
        return [str(Path(found).absolute())]
    # Run as `python -m igconnect` (or from tests): the interpreter with the module.
    return [str(Path(sys.executable).absolute()), "-m", "igconnect"]


def build_schedule(runtime: Runtime, environ: Mapping[str, str] | None = None) -> Schedule:
    env_in = runtime.environ if environ is None else environ
    interval = validate_interval(int(runtime.settings.get("schedule_interval_minutes")))
    schedule = Schedule(interval, executable())
    store = runtime.settings.get("token_store")
    if store == "file":
        schedule.environment["IGCONNECT_TOKEN_STORE"] = "file"
    else:
        bus = env_in.get("DBUS_SESSION_BUS_ADDRESS")
        if bus:
            schedule.environment["DBUS_SESSION_BUS_ADDRESS"] = bus
        else:
            schedule.warnings.append(
                "no D-Bus session here, so cron cannot reach the keyring: run this from your "
                "desktop session, or use the file store (`igconnect config set token_store file`)"
            )
        schedule.warnings.append(
            "the keyring must be unlocked when the job runs (a logged-in desktop session); on a "
            "server use the file store (docs/cron.md)"
        )
    for name in PASSED_ENV:
        value = env_in.get(name)
        if value:
            schedule.environment[name] = str(Path(value).expanduser().resolve())
    # Settings overridden in this shell (endpoints pointed at a sandbox, a version...) must reach
    # the job too, or a rehearsal with the sandbox would talk to the real Meta from cron.
    from igconnect.settings import SETTINGS

    for setting in SETTINGS.values():
        value = env_in.get(setting.env)
        if (
            value
            and setting.env not in schedule.environment
            and setting.key != "schedule_interval_minutes"
        ):
            schedule.environment[setting.env] = value
    if env_in.get("IGCONNECT_APP_SECRET"):
        # Never written into a crontab: the job must find the secret in the secret store.
        schedule.warnings.append(
            "IGCONNECT_APP_SECRET is set here but is not passed to the job: store the secret with "
            "`igconnect app set` so the job can read it"
        )
    return schedule


# -- the user's crontab ---------------------------------------------------------------------------
def _crontab(args: list[str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("crontab")
    if binary is None:
        raise IgconnectError(
            "the `crontab` command is not installed",
            hint="install cron (Debian: `apt-get install cron`) or use the systemd timer that "
            "`igconnect schedule show` prints",
        )
    return subprocess.run(
        [binary, *args], input=stdin, capture_output=True, text=True, timeout=30, check=False
    )


def read_crontab() -> str:
    result = _crontab(["-l"])
    if result.returncode != 0:
        if "no crontab" in (result.stderr or "").lower():
            return ""
        raise IgconnectError(
            f"`crontab -l` failed: {result.stderr.strip() or result.returncode}",
            hint="check that you may use cron (/etc/cron.allow)",
        )
    return result.stdout


def write_crontab(text: str) -> None:
    result = _crontab(["-"], stdin=text)
    if result.returncode != 0:
        raise IgconnectError(
            f"`crontab -` refused the new table: {result.stderr.strip() or result.returncode}",
            hint="your crontab was left as it was",
        )


def set_interval(runtime: Runtime, minutes: int) -> int:
    """Write `schedule_interval_minutes` (what `schedule install --every` asks for): the schedule
    and the stories' final-read window share it, so both change together."""
    from igconnect.settings import set_value

    validate_interval(minutes)
    with runtime.edit() as doc:
        return int(set_value(doc, "schedule_interval_minutes", str(minutes)))


def install(schedule: Schedule) -> bool:
    """Put the line in the user's crontab, replacing ours if present. False if it was already so."""
    current = read_crontab()
    lines = [line for line in current.splitlines() if MARKER not in line]
    ours = [line for line in current.splitlines() if MARKER in line]
    if ours == [schedule.crontab_line]:
        return False
    lines.append(schedule.crontab_line)
    write_crontab("\n".join(lines) + "\n")
    return True


def remove() -> bool:
    """Take our line out of the user's crontab. False if it was not there."""
    current = read_crontab()
    if MARKER not in current:
        return False
    kept = [line for line in current.splitlines() if MARKER not in line]
    write_crontab("\n".join(kept) + "\n" if kept else "")
    return True


@dataclass
class ScheduleInstall:
    """`schedule install`: the line the crontab runs, whether this run added it (False: it was
    already there), and the interval `--every` wrote (which the environment may override)."""

    schedule: Schedule
    changed: bool
    every: int | None = None
    interval_overridden: bool = False

    exit_code = ExitCode.OK

    def to_json(self) -> dict[str, Any]:
        return {
            "changed": self.changed,
            "crontab_line": self.schedule.crontab_line,
            "interval_minutes": self.schedule.interval_minutes,
            "every": self.every,
            "interval_overridden": self.interval_overridden,
            "warnings": list(self.schedule.warnings),
        }


def install_schedule(runtime: Runtime, every: int | None = None) -> ScheduleInstall:
    """Write the interval when asked (`every`), then put the export in the user's crontab."""
    from igconnect.settings import SETTINGS

    read_crontab()  # no crontab command: stop before the interval is written
    if every is not None:
        set_interval(runtime, every)
    schedule = build_schedule(runtime)
    overridden = bool(runtime.environ.get(SETTINGS["schedule_interval_minutes"].env))
    return ScheduleInstall(
        schedule,
        changed=install(schedule),
        every=every,
        interval_overridden=every is not None and overridden,
    )


@dataclass
class ScheduleRemoval:
    """`schedule remove`: whether the export's line was in the crontab (and is gone now)."""

    changed: bool

    exit_code = ExitCode.OK

    def to_json(self) -> dict[str, Any]:
        return {"changed": self.changed}


def remove_schedule() -> ScheduleRemoval:
    return ScheduleRemoval(changed=remove())


def check_environment_value(value: str) -> None:
    if "\n" in value or "%" in value:  # cron treats % as a newline in the command
        raise UsageError(f"'{value}' cannot go in a crontab line (it contains % or a newline)")


__all__ = [
    "MARKER",
    "Schedule",
    "build_schedule",
    "cron_fields",
    "install",
    "install_schedule",
    "on_calendar",
    "read_crontab",
    "remove",
    "remove_schedule",
    "set_interval",
    "validate_interval",
]
