"""`igconnect doctor`: check the environment, connections and accounts, and say how to fix them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from igconnect.cli import context as cli_context
from igconnect.cli.output import render

if TYPE_CHECKING:
    from igconnect.doctor.model import CheckResult
    from igconnect.doctor.report import DoctorReport

MARKS = {
    "ok": ("✓", "green"),
    "warning": ("!", "yellow"),
    "failure": ("✗", "red"),
    "skipped": ("-", "dim"),
    "crashed": ("‼", "bold red"),
    "could_not_check": ("?", "yellow"),
}
PROVIDER_NAMES = {"facebook": "Facebook Login", "instagram": "Instagram Login"}


def register(app: typer.Typer) -> None:
    app.command("doctor")(doctor_command)


def doctor_command(
    ctx: typer.Context,
    connection: str | None = typer.Argument(
        None, help="Check only this connection (default: all of them)."
    ),
    account: str | None = typer.Option(
        None, "--account", "-a", help="Check only this Instagram account (USERNAME)."
    ),
    json_output: bool = typer.Option(False, "--json", help="Output the report as JSON."),
    verbose: bool = typer.Option(
        False, "--verbose", "-v", help="Add details: scopes, Page ids, expiry dates, usage figures."
    ),
    list_checks: bool = typer.Option(False, "--list-checks", help="List the check ids and exit."),
    check: str | None = typer.Option(
        None, "--check", help="Run only this check (see --list-checks)."
    ),
    checklist: bool = typer.Option(
        False, "--checklist", help="Print the client checklist (Markdown, offline) and exit."
    ),
) -> None:
    """Walk each connection's prerequisites and say exactly how to fix what fails.

    Exit codes: 0 all ok, 20 warnings only, 21 at least one failure.

    Example: igconnect doctor acme --account acme_shop
    """
    obj = cli_context.get(ctx)
    if checklist:
        from igconnect.doctor.checklist import client_checklist

        obj.out.print(client_checklist(), markup=False, highlight=False, end="")
        return
    if list_checks:
        _print_check_list(obj, json_output)
        return
    from igconnect.doctor.runner import run_doctor

    username = account.lstrip("@") if account else None
    report = run_doctor(obj.runtime, connection=connection, account=username, check=check)

    def text(obj: cli_context.CliContext, report: DoctorReport) -> None:
        render_report(obj, report, verbose=verbose or obj.verbose > 0)

    render(obj, report, text, json_flag=json_output)


def _print_check_list(obj: cli_context.CliContext, json_output: bool) -> None:
    from igconnect.doctor.model import CheckCatalogue
    from igconnect.doctor.runner import CHECKS

    render(obj, CheckCatalogue(list(CHECKS.values())), _check_list_text, json_flag=json_output)


def _check_list_text(obj: cli_context.CliContext, catalogue: Any) -> None:
    width = max(len(spec.id) for spec in catalogue.specs)
    for spec in catalogue.specs:
        obj.out.print(f"{spec.id:<{width}}  {spec.title}")


def _line(result: CheckResult, indent: str, verbose: bool) -> list[tuple[str, str]]:
    """The lines of one check: (text, style)."""
    mark, style = MARKS.get(result.status, ("?", ""))
    lines = [(f"{indent}{mark} {result.title}: {result.evidence}", style)]
    if result.status in ("warning", "failure", "crashed", "could_not_check"):
        for n, step in enumerate(result.fix_steps(), 1):
            lines.append((f"{indent}    {n}. {step}", ""))
    if verbose and result.details:
        for key, value in result.details.items():
            if value is None or value == [] or value == {}:
                continue
            lines.append((f"{indent}    {key}: {_detail(value)}", "dim"))
    return lines


def _detail(value: Any) -> str:
    if isinstance(value, str):
        return value.rstrip()
    import json

    return json.dumps(value, default=str, ensure_ascii=False)


def render_report(obj: cli_context.CliContext, report: DoctorReport, verbose: bool = False) -> None:
    """Print the report like `flutter doctor`: a block per connection and account, a mark per check,
    the fix as numbered steps, then the summary line. The demo reuses this."""
    from rich.text import Text

    from igconnect.redact import redact

    def emit(text: str, style: str = "") -> None:
        obj.out.print(Text(redact(text), style=style), soft_wrap=True)

    if report.environment:
        emit("Environment", "bold")
        for result in report.environment:
            for text, style in _line(result, "  ", verbose):
                emit(text, style)
    for conn in report.connections:
        provider = PROVIDER_NAMES.get(conn.provider, conn.provider)
        who = f", {conn.user_name}" if conn.user_name else ""
        broken = " [broken]" if conn.status == "broken" else ""
        emit(f"Connection {conn.name} ({provider}{who}){broken}", "bold")
        plain = [c for c in conn.checks if not c.id.startswith("trackers.")]
        trackers = [c for c in conn.checks if c.id.startswith("trackers.")]
        for result in plain:
            for text, style in _line(result, "  ", verbose):
                emit(text, style)
        for acct in conn.accounts:
            page = f" (Page '{acct.page_name}')" if acct.page_name and acct.username else ""
            emit(f"  {acct.label}{page}", "bold")
            reasons = {c.evidence for c in acct.checks}
            if (
                acct.checks
                and all(c.status == "skipped" for c in acct.checks)
                and len(reasons) == 1
            ):
                mark, style = MARKS["skipped"]
                emit(f"    {mark} all {len(acct.checks)} checks skipped: {reasons.pop()}", style)
                continue
            for result in acct.checks:
                for text, style in _line(result, "    ", verbose):
                    emit(text, style)
        if trackers:
            emit("  Trackers", "bold")
            for result in trackers:
                for text, style in _line(result, "    ", verbose):
                    emit(text, style)
    if not report.connections and not report.check:
        settings_ok = all(r.id != "env.settings" or r.status == "ok" for r in report.environment)
        if settings_ok:
            emit("No connections yet: add one with `igconnect login`.", "dim")
    summary = report.summary
    style = "red" if summary.problems else "yellow" if summary.warnings else "green"
    emit("")
    emit(summary.text, f"bold {style}")
