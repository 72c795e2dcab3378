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
        None,
        "--account",
        "-a",
        metavar="USERNAME",
        help="Check only this Instagram account (with or without @).",
    ),
    show_all: bool = typer.Option(
        False, "--all", help="Show every check, not only the problems and a summary line."
    ),
    json_output: bool = typer.Option(False, "--json", help="Output the report as JSON."),
    verbose: bool = typer.Option(
        False,
        "--verbose",
        "-v",
        help="Show every check with its details: scopes, Page ids, expiry dates, usage figures.",
    ),
    list_checks: bool = typer.Option(False, "--list-checks", help="List the check ids and exit."),
    check: str | None = typer.Option(
        None, "--check", metavar="ID", help="Run only this check (see --list-checks)."
    ),
    accept_rule: str | None = typer.Option(
        None,
        "--accept",
        metavar="ID[:SUBJECT]",
        help="Accept a known, permanent finding (setting doctor_accept) and exit: it is shown as "
        "accepted and no longer fails the exit code.",
    ),
    unaccept_rule: str | None = typer.Option(
        None,
        "--unaccept",
        metavar="ID[:SUBJECT]",
        help="Count an accepted finding again (removes it from doctor_accept) and exit.",
    ),
    checklist: bool = typer.Option(
        False, "--checklist", help="Print the client checklist (Markdown, offline) and exit."
    ),
) -> None:
    """Walk each connection's prerequisites and say exactly how to fix what fails.

    Shows the problems and one summary line per connection; --all shows every check. Exit codes:
    0 all ok (or accepted), 20 warnings only, 21 at least one failure.

    Examples:

    $ igconnect doctor acme --account acme_shop

    $ igconnect doctor --accept account.linked:20000000000000002
    """
    obj = cli_context.get(ctx)
    if checklist:
        from igconnect.doctor.checklist import client_checklist

        obj.out.print(client_checklist(), markup=False, highlight=False, end="")
        return
    if list_checks:
        _print_check_list(obj, json_output)
        return
    if accept_rule is not None or unaccept_rule is not None:
        _change_accepted(obj, accept_rule, unaccept_rule, json_output)
        return
    from igconnect.doctor.runner import run_doctor

    username = account.lstrip("@") if account else None
    report = run_doctor(obj.runtime, connection=connection, account=username, check=check)
    details = verbose or obj.verbose > 0
    full = show_all or details or check is not None
    render(
        obj,
        report,
        lambda o, r: render_report(o, r, verbose=details, full=full),
        json_flag=json_output,
    )


def _change_accepted(
    obj: cli_context.CliContext, add: str | None, remove: str | None, json_output: bool
) -> None:
    from igconnect.doctor.accept import accept, unaccept
    from igconnect.errors import UsageError

    if add is not None and remove is not None:
        raise UsageError(
            "--accept and --unaccept cannot be used together", hint="run one, then the other"
        )
    change = accept(obj.runtime, add) if add is not None else unaccept(obj.runtime, str(remove))

    def text(o: cli_context.CliContext, c: Any) -> None:
        if c.action == "accepted":
            done = "Accepted" if c.changed else "Already accepted"
            o.success(
                f"{done} {c.rule}: doctor shows it as accepted and it no longer fails the exit "
                f"code (undo: igconnect doctor --unaccept {c.rule})"
            )
        else:
            o.success(f"{c.rule} counts again")

    render(obj, change, text, json_flag=json_output)


def _print_check_list(obj: cli_context.CliContext, json_output: bool) -> None:
    from igconnect.doctor.model import CheckCatalogue
    from igconnect.doctor.runner import CHECKS

    render(obj, CheckCatalogue(list(CHECKS.values())), _check_list_text, json_flag=json_output)


def _check_list_text(obj: cli_context.CliContext, catalogue: Any) -> None:
    width = max(len(spec.id) for spec in catalogue.specs)
    for spec in catalogue.specs:
        obj.out.print(f"{spec.id:<{width}}  {spec.title}")


ACCEPTED_MARK = ("~", "dim")


def _line(result: CheckResult, indent: str, verbose: bool) -> list[tuple[str, str]]:
    """The lines of one check: (text, style). An accepted finding is one line."""
    if result.accepted_by:
        mark, style = ACCEPTED_MARK
        return [
            (
                f"{indent}{mark} {result.title}: {result.evidence} (accepted: {result.accepted_by})",
                style,
            )
        ]
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


def render_report(
    obj: cli_context.CliContext, report: DoctorReport, verbose: bool = False, full: bool = True
) -> None:
    """Print the report like `flutter doctor`: a block per connection and account, a mark per check,
    the fix as numbered steps, then the summary line. `full=False` (doctor's default) shows only
    what needs attention, under one line of counts per connection. The demo reuses this."""
    from rich.text import Text

    from igconnect.doctor.report import tally
    from igconnect.redact import redact

    def emit(text: str, style: str = "") -> None:
        obj.out.print(Text(redact(text), style=style), soft_wrap=True)

    def shown(results: list[CheckResult]) -> list[CheckResult]:
        return list(results) if full else [r for r in results if r.needs_attention]

    def block(results: list[CheckResult], indent: str) -> None:
        for result in shown(results):
            for text, style in _line(result, indent, verbose):
                emit(text, style)

    if report.environment:
        if full:
            emit("Environment", "bold")
        else:
            emit(f"Environment: {tally(report.environment)}", "bold")
        block(report.environment, "  ")
    for conn in report.connections:
        provider = PROVIDER_NAMES.get(conn.provider, conn.provider)
        who = f", {conn.user_name}" if conn.user_name else ""
        broken = " [broken]" if conn.status == "broken" else ""
        head = f"Connection {conn.name} ({provider}{who}){broken}"
        emit(head if full else f"{head}: {tally(conn.results())}", "bold")
        plain = [c for c in conn.checks if not c.id.startswith("trackers.")]
        trackers = [c for c in conn.checks if c.id.startswith("trackers.")]
        block(plain, "  ")
        for acct in conn.accounts:
            if not shown(acct.checks):
                continue
            page = f" (Page '{acct.page_name}')" if acct.page_name and acct.username else ""
            emit(f"  {acct.label}{page}", "bold")
            reasons = {c.evidence for c in acct.checks}
            if (
                full
                and acct.checks
                and all(c.status == "skipped" for c in acct.checks)
                and len(reasons) == 1
            ):
                mark, style = MARKS["skipped"]
                emit(f"    {mark} all {len(acct.checks)} checks skipped: {reasons.pop()}", style)
                continue
            block(acct.checks, "    ")
        if shown(trackers):
            emit("  Trackers", "bold")
            block(trackers, "    ")
    if not report.connections and not report.check:
        settings_ok = all(r.id != "env.settings" or r.status == "ok" for r in report.environment)
        if settings_ok:
            emit("No connections yet: add one with `igconnect login`.", "dim")
    summary = report.summary
    style = "red" if summary.problems else "yellow" if summary.warnings else "green"
    emit("")
    emit(summary.text, f"bold {style}")
    if not full and (summary.problems or summary.warnings):
        obj.info(
            "`igconnect doctor --all` shows every check; a finding that is known and permanent "
            "can be accepted with `igconnect doctor --accept ID:SUBJECT` (docs/doctor.md)."
        )
