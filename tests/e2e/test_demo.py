"""`igconnect demo` end to end, as README's first quick-start command runs it."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

TOKEN_SHAPE = re.compile(r"(EAA[BP]|IGAA|IGQW)[A-Za-z0-9_\-]{16,}")


def test_demo_runs_the_main_job_and_leaves_the_real_home_untouched(tmp_path: Path) -> None:
    real_config = tmp_path / "real-config"
    real_data = tmp_path / "real-data"
    home = tmp_path / "demo-home"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("IGCONNECT_")},
        "IGCONNECT_CONFIG_DIR": str(real_config),
        "IGCONNECT_DATA_DIR": str(real_data),
        "NO_COLOR": "1",
    }
    result = subprocess.run(
        [sys.executable, "-m", "igconnect", "demo", "--home", str(home)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    for step in (
        "Sandbox listening",
        "Meta app",
        "Logged in",
        "Doctor",
        "account trackers",
        "Exported",
        "Wrote the client report",
    ):
        assert step in result.stderr
    assert "No problems found" in result.stdout + result.stderr

    with (home / "stories.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 3 * 8
    assert {r["username"] for r in rows} == {"acme_1", "acme_2", "acme_3"}
    assert all(r["status"] in ("ok", "too_few_viewers") for r in rows)
    assert any(r["reach"] for r in rows)

    # An account, a public account and a hashtag collected (issue 12).
    with (home / "profiles.csv").open(encoding="utf-8") as handle:
        profiles = {r["username"]: r for r in csv.DictReader(handle)}
    assert profiles["nike"]["access"] == "public" and profiles["acme_1"]["access"] == "managed"
    assert all(int(p["followers_count"]) > 0 for p in profiles.values())
    with (home / "posts.csv").open(encoding="utf-8") as handle:
        assert {r["username"] for r in csv.DictReader(handle)} == {"nike"}
    with (home / "hashtags.csv").open(encoding="utf-8") as handle:
        media = list(csv.DictReader(handle))
    assert media and {r["hashtag"] for r in media} == {"coffee"}
    assert "@nike (public: business discovery" in result.stderr

    report = (home / "report.html").read_text(encoding="utf-8")  # next to the CSV
    assert report.count('<section class="account"') == 3
    assert "Report: " + str(home / "report.html") in result.stderr

    assert not real_config.exists() and not real_data.exists()  # the user's own home is untouched

    # No token or app secret anywhere: output, settings, archive, logs, CSV.
    leaks = [TOKEN_SHAPE.search(result.stdout + result.stderr)]
    for path in home.rglob("*"):
        if path.is_file():
            leaks.append(TOKEN_SHAPE.search(path.read_bytes().decode("utf-8", "replace")))
            assert b"sandbox-app-secret" not in path.read_bytes(), path
    assert not any(leaks)
    assert "sandbox-app-secret" not in result.stdout + result.stderr
