"""igconnect next to the exporter most users would pick instead: Airbyte's `source-instagram`
(4.1.0), on the same sandbox in the same run.

N accounts × 8 live stories of every age, 50 ms added to every round trip. Airbyte reads its
`stories` and `story_insights` streams (6 plain metrics per story, no breakdowns); igconnect runs
`export stories` as cron would, breakdowns included for the stories due their final read. Prints,
for each: wall time, API calls (what Meta counts) and HTTP round trips (what costs time).

Airbyte is installed on first use into a virtualenv of its own (`.venv-peers/airbyte`, ignored by
git; never a dependency of igconnect) and pointed at the sandbox by a small entry point that
rewrites its manifest's base URL in memory before calling its own `run()`: nothing of it is
changed on disk.

    .venv/bin/python bench/peer_airbyte.py [--accounts 200] [--latency-ms 50]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

PEER = "airbyte-source-instagram==4.1.0"
PEER_VENV = ROOT / ".venv-peers" / "airbyte"
ADA = "10000000000000001"
PEER_GRAPH_VERSION = "v21.0"  # what its manifest pins; the sandbox serves v21-v26

# Our entry point for the peer: its base URL is a constant of its manifest, so point it at the
# sandbox in memory, let plain http:// use the same connection pool as https://, then run it.
ENTRY = r"""
import os, sys
graph = os.environ["PEER_GRAPH_URL"]
os.environ.pop("DEPLOYMENT_MODE", None)  # 'cloud' refuses http:// and 127.0.0.1
from airbyte_cdk.sources.declarative.yaml_declarative_source import YamlDeclarativeSource
_read = YamlDeclarativeSource._read_and_parse_yaml_file
def _read_here(self, path):
    manifest = _read(self, path)
    manifest["definitions"]["base_requester"]["url_base"] = graph
    return manifest
YamlDeclarativeSource._read_and_parse_yaml_file = _read_here
import source_instagram.components as components
components.GRAPH_URL = graph
import requests
from airbyte_cdk.sources.http_config import MAX_CONNECTION_POOL_SIZE
from airbyte_cdk.sources.streams.http import http_client
_init = http_client.HttpClient.__init__
def _init_here(self, *a, **kw):
    _init(self, *a, **kw)
    self._session.mount("http://", requests.adapters.HTTPAdapter(
        pool_connections=MAX_CONNECTION_POOL_SIZE, pool_maxsize=MAX_CONNECTION_POOL_SIZE))
http_client.HttpClient.__init__ = _init_here
from source_instagram.run import run
sys.argv[0] = "source-instagram"
run()
"""


def peer_python() -> Path:
    python = PEER_VENV / "bin" / "python"
    if not python.exists():
        print(f"installing {PEER} into {PEER_VENV} (once)", file=sys.stderr, flush=True)
        venv.EnvBuilder(with_pip=True).create(PEER_VENV)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", PEER], check=True)
    return python


def run_peer(python: Path, sb: object, token: str, tmp: Path) -> dict[str, object]:
    config = {"access_token": token, "start_date": "2024-01-01T00:00:00Z", "num_workers": 15}
    catalog = {
        "streams": [
            {
                "stream": {
                    "name": name,
                    "json_schema": {},
                    "supported_sync_modes": ["full_refresh"],
                },
                "sync_mode": "full_refresh",
                "destination_sync_mode": "append",
            }
            for name in ("stories", "story_insights")
        ]
    }
    (tmp / "config.json").write_text(json.dumps(config))
    (tmp / "catalog.json").write_text(json.dumps(catalog))
    (tmp / "cwd").mkdir()  # its CDK looks for a manifest.yaml in the working directory first
    env = {k: v for k, v in os.environ.items() if not k.startswith("IGCONNECT_")}
    env["PEER_GRAPH_URL"] = f"{sb.base_url}/graph/{PEER_GRAPH_VERSION}"  # type: ignore[attr-defined]
    sb.reset_counters()  # type: ignore[attr-defined]
    started = time.monotonic()
    proc = subprocess.run(
        [
            str(python),
            "-c",
            ENTRY,
            "read",
            "--config",
            str(tmp / "config.json"),
            "--catalog",
            str(tmp / "catalog.json"),
        ],
        env=env,
        cwd=tmp / "cwd",
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.monotonic() - started
    records: dict[str, int] = {}
    for line in proc.stdout.splitlines():
        if line.startswith('{"type": "RECORD"') or line.startswith('{"type":"RECORD"'):
            stream = json.loads(line)["record"]["stream"]
            records[stream] = records.get(stream, 0) + 1
    return {"exit": proc.returncode, "wall_s": round(wall, 2), "records": records, **sb.counters()}  # type: ignore[attr-defined]


def run_igconnect(sb: object, n: int, tmp: Path) -> dict[str, object]:
    from export import prepare, run_child

    saved = dict(os.environ)
    try:
        env = prepare(sb, tmp, n)
        sb.reset_counters()  # type: ignore[attr-defined]
        started = time.monotonic()
        figures = run_child(sb, env, tmp / "stories.csv")  # breakdowns at each final read
        wall = time.monotonic() - started
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return {
        "exit": figures["exit"],
        "wall_s": round(wall, 2),
        "rows": figures["rows"],
        **sb.counters(),
    }  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, nargs="+", default=[200])
    parser.add_argument("--latency-ms", type=int, default=50)
    args = parser.parse_args()
    from igconnect.sandbox import Sandbox, SandboxConfig

    python = peer_python()
    for n in args.accounts:
        config = SandboxConfig(port=0, seed=3, accounts=n, stories=8, latency_ms=args.latency_ms)
        with tempfile.TemporaryDirectory() as tmp, Sandbox(config) as sb:
            peer = run_peer(python, sb, sb.issue_token(ADA), Path(tmp))
            ours = run_igconnect(sb, n, Path(tmp) / "igconnect")
            print(
                json.dumps(
                    {
                        "accounts": n,
                        "latency_ms": args.latency_ms,
                        "airbyte": peer,
                        "igconnect": ours,
                        "time_ratio": round(peer["wall_s"] / ours["wall_s"], 1),  # type: ignore[operator]
                    }
                ),
                flush=True,
            )


if __name__ == "__main__":
    main()
