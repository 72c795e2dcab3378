"""`igconnect demo`: run the main job end to end against the embedded sandbox."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from igconnect.cli import context as cli_context


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_command)


def demo_command(
    ctx: typer.Context,
    accounts: int = typer.Option(
        3, "--accounts", min=1, max=50, help="Instagram accounts to simulate."
    ),
    stories: int = typer.Option(8, "--stories", min=1, max=50, help="Live stories per account."),
    seed: int = typer.Option(7, "--seed", help="Seed of the simulated data."),
    home: Path | None = typer.Option(
        None,
        "--home",
        help="Folder for the demo's settings, archive and CSV (default: a new temporary one).",
    ),
) -> None:
    """Try igconnect without a Meta app: sandbox, app set-up, login, doctor, trackers (accounts, a
    public account, a hashtag), export of every kind, report.

    Everything happens in a throwaway home; your own settings and keyring are not touched.

    Example: igconnect demo
    """
    import tempfile

    from igconnect.demo import run_demo

    obj = cli_context.get(ctx)
    workdir = home or Path(tempfile.mkdtemp(prefix="igconnect-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    obj.info(f"igconnect demo in {workdir} (your own settings are untouched)")
    for number, step in enumerate(
        run_demo(workdir, accounts=accounts, stories=stories, seed=seed), 1
    ):
        obj.err.print(f"\n[{number}] {step.title}", style="bold", markup=False)
        _RENDERERS.get(step.name, lambda o, p: None)(obj, step.payload)


def _login(obj: cli_context.CliContext, result: Any) -> None:
    for account in result.reach.accounts:
        page = f" (Page '{account.page_name}')" if account.page_name else ""
        obj.info(f"    @{account.username}{page}")
    for line in result.missing:
        obj.warn(line)
    obj.info(f"    token kept in the {result.secret_store}")


def _doctor(obj: cli_context.CliContext, report: Any) -> None:
    from igconnect.cli.doctor_cmd import render_report

    render_report(obj, report)


def _trackers(obj: cli_context.CliContext, added: Any) -> None:
    for result in added:
        obj.info(f"    {result.tracker} → {result.connection or 'unassigned'}: {result.reason}")


def _export(obj: cli_context.CliContext, run: Any) -> None:
    for result in run.kinds:
        if result.kind == "stories":
            obj.info(
                f"    stories: {result.rows} from {len(result.collected)} accounts in "
                f"{result.requests} requests ({result.seconds:.1f} s)"
            )
        else:
            for item in result.items:
                if result.kind == "profiles" and item.access == "managed":
                    how = " (managed: its own node)"
                elif result.kind == "profiles":
                    how = f" (public: business discovery, {item.rows} recent posts)"
                else:
                    how = f" ({item.rows} recent and top media)"
                obj.info(f"    {result.kind}: {item.target}{how}: {item.state}")
        for warning in result.warnings:
            obj.warn(warning)


def _report_skipped(obj: cli_context.CliContext, error: Any) -> None:
    obj.warn(f"{error.message} — {error.hint}")


def _report(obj: cli_context.CliContext, result: Any) -> None:
    obj.info(f"    {result.stories} stories of {result.accounts} accounts; open it in a browser")


def _done(obj: cli_context.CliContext, payload: Any) -> None:
    csv_path = Path(payload["csv"])
    obj.info(f"    CSV: {csv_path}")
    if payload["report"].exists():
        obj.info(f"    Report: {payload['report']}")
    for label, path in (
        ("stories", csv_path),
        ("profiles", Path(payload["profiles"])),
        ("public posts", Path(payload["posts"])),
        ("hashtag media", Path(payload["hashtags"])),
    ):
        if not path.exists():
            continue
        obj.info(f"    {label} ({path.name}), first lines:")
        with path.open(encoding="utf-8") as handle:
            for _, line in zip(range(3), handle, strict=False):
                obj.info("      " + line.rstrip()[:160])
    obj.success(
        f"Demo finished. Look around: IGCONNECT_CONFIG_DIR={payload['home']}/config "
        f"IGCONNECT_DATA_DIR={payload['home']}/data igconnect export profiles --no-fetch --out -"
    )


_RENDERERS = {
    "login": _login,
    "doctor": _doctor,
    "trackers": _trackers,
    "export": _export,
    "report": _report,
    "report_skipped": _report_skipped,
    "done": _done,
}
