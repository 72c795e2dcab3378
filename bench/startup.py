"""Start-up time of `igconnect --help` next to a bare typer hello-world's `--help`.

Prints the median of N runs of each, measured in the same run, and the ratio (goal: at most 1.3).
Usage: python bench/startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HELLO = """
import typer

app = typer.Typer()


@app.command()
def hello(name: str = "world") -> None:
    \"\"\"Say hello.\"\"\"
    typer.echo(f"hello {name}")


app()
"""


def median_seconds(command: list[str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        hello = Path(tmp) / "hello.py"
        hello.write_text(HELLO)
        commands = {
            "typer hello-world --help": [sys.executable, str(hello), "--help"],
            "igconnect --help": [sys.executable, "-m", "igconnect", "--help"],
        }
        for command in commands.values():  # warm the file cache and .pyc files
            subprocess.run(
                command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True
            )
        # Interleave the two so machine noise hits both alike.
        results: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, command in commands.items():
                results[name].append(median_seconds(command, 1))
    baseline = statistics.median(results["typer hello-world --help"])
    ours = statistics.median(results["igconnect --help"])
    print(f"runs each:                 {args.runs}")
    print(f"typer hello-world --help:  {baseline * 1000:7.1f} ms (median)")
    print(f"igconnect --help:          {ours * 1000:7.1f} ms (median)")
    print(f"ratio:                     {ours / baseline:7.2f} (goal <= 1.30)")


if __name__ == "__main__":
    main()
