"""`igconnect demo`: the main job end to end against the embedded sandbox, in a throwaway home.

Each step is yielded as it finishes so the CLI can show it; the user's real settings, keyring and
data are never touched (the demo's runtime has its own config and data dirs and keeps its secrets in
memory).
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from igconnect.runtime import Runtime

DEMO_CONNECTION = "ada-agency"
DEMO_PUBLIC = "nike"  # a public professional account of the sandbox
DEMO_HASHTAG = "coffee"


@dataclass
class DemoStep:
    name: str  # sandbox | app | login | doctor | trackers | export | report[_skipped] | done
    title: str
    payload: Any = None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def demo_runtime(home: Path, sandbox_env: dict[str, str], login_port: int) -> Runtime:
    """A runtime living entirely in `home`, pointed at the sandbox, with an in-memory secret store."""
    from igconnect.secretstore import MemoryStore

    environ = {k: v for k, v in os.environ.items() if not k.startswith("IGCONNECT_")}
    environ.update(sandbox_env)
    environ.pop("IGCONNECT_APP_ID", None)  # `app set` stores it, as a user would
    environ.update(
        {
            "IGCONNECT_CONFIG_DIR": str(home / "config"),
            "IGCONNECT_DATA_DIR": str(home / "data"),
            "IGCONNECT_LOGIN_PORT": str(login_port),
        }
    )
    runtime = Runtime(environ)
    store = MemoryStore()
    store.description = "memory (demo only)"
    runtime.__dict__["secret_store"] = store  # the demo never touches the user's keyring
    return runtime


def _browser_over_http(url: str) -> bool:
    """Play the user's browser: click Continue on the consent page, then follow the redirect to our
    loopback server (in the background, as a browser would while igconnect waits)."""

    def run() -> None:
        import httpx

        from igconnect.sandbox.consent import follow_consent

        final = follow_consent(url)
        with httpx.Client(timeout=30) as client:
            client.get(final.split("#", 1)[0])

    threading.Thread(target=run, name="igconnect-demo-browser", daemon=True).start()
    return True


def run_demo(
    home: Path, *, accounts: int = 3, stories: int = 8, seed: int = 7, latency_ms: int = 0
) -> Iterator[DemoStep]:
    from igconnect.doctor.runner import run_doctor
    from igconnect.export.kinds import AllOptions, export_all
    from igconnect.login.flow import LoginOptions, run_login
    from igconnect.meta_app import store_app
    from igconnect.sandbox import Sandbox, SandboxConfig
    from igconnect.trackers.adding import add_trackers

    login_port = free_port()
    config = SandboxConfig(
        port=0,
        seed=seed,
        accounts=accounts,
        stories=stories,
        latency_ms=latency_ms,
        redirect_uris=[f"http://localhost:{login_port}/callback"],
    )
    with Sandbox(config) as sandbox:
        yield DemoStep("sandbox", f"Sandbox listening on {sandbox.base_url}", sandbox.base_url)
        runtime = demo_runtime(home, sandbox.env(), login_port)

        store_app(runtime, config.app_id, config.app_secret)
        yield DemoStep("app", f"Meta app {config.app_id} set up (secret kept in memory)")

        result = run_login(runtime, LoginOptions(name=DEMO_CONNECTION), open_url=_browser_over_http)
        yield DemoStep("login", "Logged in through the consent page", result)

        report = run_doctor(runtime)
        yield DemoStep("doctor", "Doctor checked every prerequisite", report)

        usernames = ["@" + account.username for account in result.reach.accounts]
        added = add_trackers(runtime, usernames).items
        yield DemoStep("trackers", f"Added {len(added)} account trackers", added)
        # A public account nobody in the agency manages (read through business discovery) and
        # a hashtag (searched as one of the connection's accounts, within Meta's budget).
        more = [
            *add_trackers(runtime, ["@" + DEMO_PUBLIC]).items,
            *add_trackers(runtime, ["#" + DEMO_HASHTAG], DEMO_CONNECTION).items,
        ]
        yield DemoStep(
            "trackers",
            f"Added the public account @{DEMO_PUBLIC} and the hashtag #{DEMO_HASHTAG}",
            more,
        )

        out = home / "stories.csv"
        exported = export_all(runtime, AllOptions(out=str(home / "{kind}.csv")))
        yield DemoStep(
            "export", f"Exported stories, profiles and hashtag media to {home}", exported
        )
    report_file = home / "report.html"
    yield _report_step(runtime, report_file)
    yield DemoStep(
        "done",
        "Sandbox stopped",
        {
            "home": str(home),
            "csv": str(out),
            "report": report_file,
            "profiles": str(home / "profiles.csv"),
            "posts": str(home / "posts.csv"),
            "hashtags": str(home / "hashtags.csv"),
        },
    )


def _report_step(runtime: Runtime, out: Path) -> DemoStep:
    """The report of what was just exported, from the archive (the sandbox is no longer needed)."""
    from igconnect.report.build import ReportExtraMissing, build_report
    from igconnect.report.model import ReportOptions

    try:
        result = build_report(runtime, ReportOptions(out=out))
    except ReportExtraMissing as exc:  # the demo still shows the rest of the job
        return DemoStep("report_skipped", "Report skipped", exc)
    return DemoStep("report", f"Wrote the client report to {out}", result)
