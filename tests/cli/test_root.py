from __future__ import annotations

from igconnect.errors import ExitCode, IgconnectError


def test_help_lists_every_command_group_with_a_summary(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("--help")
    assert result.exit_code == 0
    for group in (
        "login",
        "connections",
        "doctor",
        "trackers",
        "export",
        "schedule",
        "app",
        "config",
        "sandbox",
        "demo",
    ):
        lines = [ln for ln in result.stdout.splitlines() if ln.strip("│ ").startswith(f"{group} ")]
        assert lines, f"{group} missing from --help"
        assert len(lines[0].strip("│ ").split(None, 1)[1]) > 10, f"{group} has no summary"


def test_errors_are_one_line_with_a_next_step_and_their_exit_code(cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import igconnect.meta_app as meta_app

    def boom(runtime):  # type: ignore[no-untyped-def]
        raise IgconnectError("token EAAGleakingtoken1234567890abcdef is bad", hint="do the thing")

    monkeypatch.setattr(meta_app, "describe_app", boom)
    result = cli("app", "show")
    assert result.exit_code == ExitCode.ERROR
    assert result.stderr == "Error: token *** is bad — do the thing\n"


def test_unexpected_errors_are_redacted_and_debug_shows_a_redacted_traceback(
    cli, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    import igconnect.meta_app as meta_app

    def boom(runtime):  # type: ignore[no-untyped-def]
        raise KeyError("access_token=EAAGleakingtoken1234567890abcdef")

    monkeypatch.setattr(meta_app, "describe_app", boom)
    result = cli("app", "show")
    assert result.exit_code == ExitCode.ERROR
    assert "unexpected KeyError" in result.stderr and "--debug" in result.stderr
    assert "EAAGleaking" not in result.stderr
    debug = cli("--debug", "app", "show")
    assert "Traceback" in debug.stderr and "EAAGleaking" not in debug.stderr


def test_keyboard_interrupt_exits_130(cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import igconnect.meta_app as meta_app

    def interrupted(runtime):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    monkeypatch.setattr(meta_app, "describe_app", interrupted)
    assert cli("app", "show").exit_code == ExitCode.INTERRUPTED


def test_app_set_needs_a_tty_or_stdin(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("app", "set", "--app-id", "1234567890")
    assert result.exit_code == ExitCode.USAGE
    assert "--app-secret-stdin" in result.stderr


def test_app_set_validates_the_id(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("app", "set", "--app-id", "my-app", "--app-secret-stdin", input="abc123secret\n")
    assert result.exit_code == ExitCode.USAGE
    assert "is not a Meta app id" in result.stderr


def test_app_env_overrides(cli) -> None:  # type: ignore[no-untyped-def]
    env = {"IGCONNECT_APP_ID": "99999", "IGCONNECT_APP_SECRET": "from-env-secret-1"}
    result = cli("app", "show", "--json", env=env)
    assert result.exit_code == 0
    assert '"app_id": "99999"' in result.stdout and "IGCONNECT_APP_SECRET" in result.stdout
    assert "from-env-secret-1" not in result.stdout
