"""Does a command's cost grow with the size of the agency? One connection reaching N accounts with an
account tracker on each, N = 10, 1,000 and 10,000, against the sandbox.

Times each command as a fresh process (what cron and people run), the median of `--repeat` runs:
`trackers add` (one tracker), `trackers list --json`, `connections list --json`,
`doctor acme --account ONE --json`, `export stories --no-fetch --account ONE`; then the peak memory
(ru_maxrss) of a full `export stories`. Prints one JSON line per N and the ratios to N = 10.

    .venv/bin/python bench/state.py [--sizes 10 1000 10000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

ADA = "10000000000000001"
SECRET = "sandbox-app-secret"
SINGLE = ("trackers add", "doctor --account", "export --no-fetch --account")
LISTS = ("trackers list", "connections list")
EXTRA = 20  # accounts reached but not tracked, for `trackers add` to add one each run

PEAK = r"""
import resource, runpy, sys
sys.argv = ["igconnect", *sys.argv[1:]]
try:
    runpy.run_module("igconnect", run_name="__main__")
except SystemExit as exc:
    code = exc.code or 0
else:
    code = 0
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, code, file=sys.stderr)
"""


def igconnect(env: dict[str, str], *args: str) -> float:
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "igconnect", *args], env=env, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - started
    if proc.returncode not in (0, 8, 20, 21):  # partial exports and doctor findings are fine here
        raise SystemExit(f"igconnect {' '.join(args)} exited {proc.returncode}: {proc.stderr}")
    return elapsed


def median(env: dict[str, str], repeat: int, *args: str) -> float:
    return statistics.median(igconnect(env, *args) for _ in range(repeat))


def measure(n: int, repeat: int) -> dict[str, float]:
    from _homes import seed

    from igconnect.sandbox import Sandbox, SandboxConfig

    with (
        tempfile.TemporaryDirectory() as tmp,
        Sandbox(SandboxConfig(port=0, seed=3, accounts=n + EXTRA, stories=8)) as sb,
    ):
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("IGCONNECT_")},
            "IGCONNECT_CONFIG_DIR": f"{tmp}/config",
            "IGCONNECT_DATA_DIR": f"{tmp}/data",
            "IGCONNECT_TOKEN_STORE": "file",
            "IGCONNECT_APP_ID": sb.config.app_id,
            "IGCONNECT_APP_SECRET": SECRET,
            **sb.env(),
        }
        os.environ.update(env)
        accounts = sorted(sb.world.accounts.values(), key=lambda a: a.index)
        pairs = [(a.id, a.username, a.page_id) for a in accounts]
        seed("acme", ADA, sb.issue_token(ADA), pairs[:n])
        from igconnect.connections.model import Account, Reach
        from igconnect.connections.store import ConnectionStore
        from igconnect.runtime import Runtime

        runtime = Runtime()  # the connection reaches the extra accounts too, untracked
        with runtime.state.transaction() as db:
            store = ConnectionStore(db)
            connection = store.get("acme")
            store.save(connection, Reach([Account(i, u, p) for i, u, p in pairs]))
        runtime.close()
        one = accounts[0].username

        full = subprocess.run(
            [sys.executable, "-c", PEAK, "export", "stories", "--out", f"{tmp}/full.csv", "-q"],
            env=env,
            capture_output=True,
            text=True,
        )
        peak_kb, code = full.stderr.strip().splitlines()[-1].split()
        if int(code) not in (0, 8):
            raise SystemExit(f"full export exited {code}: {full.stderr}")

        extra = iter(accounts[n:])
        add = statistics.median(
            igconnect(env, "trackers", "add", "@" + next(extra).username) for _ in range(repeat)
        )
        return {
            "trackers add": add,
            "trackers list": median(env, repeat, "trackers", "list", "--json"),
            "connections list": median(env, repeat, "connections", "list", "--json"),
            "doctor --account": median(env, repeat, "doctor", "acme", "--account", one, "--json"),
            "export --no-fetch --account": median(
                env,
                repeat,
                "export",
                "stories",
                "--no-fetch",
                "--account",
                one,
                "--out",
                f"{tmp}/one.csv",
            ),
            "full export peak MB": int(peak_kb) / 1024,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 1000, 10000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    results = {n: measure(n, args.repeat) for n in args.sizes}
    base = results[min(results)]
    for n, figures in results.items():
        line: dict[str, object] = {"accounts": n}
        for name, value in figures.items():
            line[name] = round(value, 3 if "MB" not in name else 1)
            if name in SINGLE:
                line[f"{name} ratio"] = round(value / base[name], 2)
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
