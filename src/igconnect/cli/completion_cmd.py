"""`igconnect completion SHELL`: print the shell's completion script (typer's own machinery).

The script calls igconnect back with `_IGCONNECT_COMPLETE` set; `app.main` prepares typer's
completion classes only then, so `igconnect --help` pays nothing for completion.
"""

from __future__ import annotations

import typer

SHELLS = ("bash", "zsh", "fish", "powershell")
COMPLETE_VAR = "_IGCONNECT_COMPLETE"


def register(app: typer.Typer) -> None:
    app.command("completion")(completion_command)


def completion_command(
    shell: str = typer.Argument(..., metavar="SHELL", help="bash, zsh, fish or powershell."),
) -> None:
    """Print the shell completion script of igconnect; install it where your shell looks.

    Examples:

    $ igconnect completion bash > ~/.local/share/bash-completion/completions/igconnect

    $ igconnect completion zsh > ~/.zfunc/_igconnect

    $ igconnect completion fish > ~/.config/fish/completions/igconnect.fish
    """
    from igconnect.errors import UsageError

    if shell not in SHELLS:
        raise UsageError(
            f"no completion for the shell '{shell}'",
            hint=f"name one of {', '.join(SHELLS)}, e.g. `igconnect completion bash`",
        )
    from typer.completion import get_completion_script

    typer.echo(get_completion_script(prog_name="igconnect", complete_var=COMPLETE_VAR, shell=shell))


def prepare_if_completing(environ: dict[str, str] | None = None) -> None:
    """Register typer's completion classes when the shell asks igconnect to complete a word."""
    import os

    if (environ if environ is not None else os.environ).get(COMPLETE_VAR):
        from typer.completion import completion_init

        completion_init()
