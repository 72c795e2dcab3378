"""`igconnect sandbox`: run a local simulation of Meta's API and login dialogs."""

from __future__ import annotations

import os
import signal
import sys
from typing import Annotated

import typer

app = typer.Typer(help="Run a local simulation of Meta's API and login dialogs.")


@app.command()
def serve(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0 = a free one).")] = 8766,
    scenario: Annotated[
        list[str] | None,
        typer.Option(
            "--scenario", "-s", help="NAME or NAME@ig_username; repeatable. See docs/sandbox.md."
        ),
    ] = None,
    latency: Annotated[
        int, typer.Option("--latency", help="Delay every API answer by MS milliseconds.")
    ] = 0,
    accounts: Annotated[int, typer.Option(help="Instagram accounts managed by Ada Agency.")] = 3,
    stories: Annotated[int, typer.Option(help="Live stories per account at any moment.")] = 8,
    seed: Annotated[int, typer.Option(help="Seed of the generated data.")] = 1,
    redirect_uri: Annotated[
        list[str] | None,
        typer.Option("--redirect-uri", help="Registered redirect URI; repeatable."),
    ] = None,
    app_id: Annotated[str | None, typer.Option("--app-id", help="The sandbox app's id.")] = None,
    app_secret: Annotated[
        str | None, typer.Option("--app-secret", help="The sandbox app's secret.", hidden=True)
    ] = None,
) -> None:
    """Serve the sandbox until stopped and print the variables that point igconnect at it.

    The exports go to stdout, which is closed once they are written, so a shell can read them
    while the sandbox runs on in the background. IGCONNECT_SANDBOX_PID says whom to stop.

    Examples:

    $ eval "$(igconnect sandbox serve --port 0 --scenario few-viewers@acme_2 &)"

    $ kill $IGCONNECT_SANDBOX_PID
    """
    import time

    from igconnect.sandbox import Sandbox, SandboxConfig
    from igconnect.sandbox.config import DEFAULT_APP_ID, DEFAULT_APP_SECRET, DEFAULT_REDIRECT_URI

    try:
        cfg = SandboxConfig(
            port=port,
            seed=seed,
            accounts=accounts,
            stories=stories,
            latency_ms=latency,
            scenarios=list(scenario or []),
            redirect_uris=list(redirect_uri or [DEFAULT_REDIRECT_URI]),
            app_id=app_id or DEFAULT_APP_ID,
            app_secret=app_secret or DEFAULT_APP_SECRET,
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    sb = Sandbox(cfg)
    try:
        sb.start()
    except OSError as exc:
        from igconnect.errors import UsageError

        raise UsageError(
            f"cannot listen on 127.0.0.1:{port}: {exc.strerror}",
            hint="pick another port with --port, or --port 0 for a free one",
        ) from None
    for name, value in sb.env().items():
        sys.stdout.write(f"export {name}={value}\n")
    sys.stdout.write(f"export IGCONNECT_SANDBOX_PID={os.getpid()}\n")
    sys.stdout.flush()
    _close_stdout()
    shown = ", ".join(cfg.scenarios) or "none"
    sys.stderr.write(
        f"Sandbox listening on {sb.base_url} (seed {seed}, {accounts} accounts, "
        f"scenarios: {shown}). Stop it with Ctrl-C, or `kill {os.getpid()}` in the background.\n"
        "Eval the exports above in your shell, then set the app up: docs/sandbox.md.\n"
    )
    sys.stderr.flush()
    # `kill` stops it as cleanly as Ctrl-C.
    signal.signal(signal.SIGTERM, _stop)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        sb.stop()
        sys.stderr.write("Sandbox stopped.\n")


def _close_stdout() -> None:
    """Let `$(igconnect sandbox serve &)` return: command substitution waits until every writer
    of its pipe has closed it, and the exports are all there is to read."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return  # not a real stream (tests in-process)
    if os.isatty(fd):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
