"""`igconnect export` with no kind: every kind that has trackers, one locked run, one summary and
one exit code; `--out` as a directory or a template; the `--json` keys of every result."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from igconnect.errors import ExitCode
from igconnect.trackers.model import Tracker
from tests import stored

from .conftest import read_csv

ADA = "10000000000000001"
BOB = "10000000000000002"

STORY_KEYS = {
    "kind",
    "exit_code",
    "output",
    "format",
    "rows",
    "requests",
    "round_trips",
    "seconds",
    "log_file",
    "warnings",
    "broken_connections",
    "connection_problems",
    "missed_final_reads",
    "moved_trackers",
    "accounts",
}
ACCOUNT_KEYS = {"connection", "username", "account_id", "state", "reason", "stories", "requests"}
KIND_KEYS = {
    "kind",
    "exit_code",
    "output",
    "outputs",
    "format",
    "rows",
    "requests",
    "round_trips",
    "seconds",
    "log_file",
    "warnings",
    "connection_problems",
    "items",
}
ITEM_KEYS = {"target", "connection", "state", "reason", "rows", "access"}
PROBLEM_KEYS = {"connection", "reason", "fix", "targets"}
RUN_KEYS = {"exit_code", "seconds", "kinds", "failures", "connection_problems"}


def _trackers(*refs: str, connection: str = "acme") -> None:
    for ref in refs:
        kind = "hashtag" if ref.startswith("#") else "account"
        stored.save_tracker(Tracker(kind=kind, target=ref[1:], connection=connection))


def test_every_kind_into_a_directory_with_one_exit_code(setup: Any, cli: Any) -> None:
    _trackers("@nike", "#coffee")
    out = setup.tmp / "exports"
    out.mkdir()
    result = cli("export", "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert set(summary) == RUN_KEYS and summary["exit_code"] == 0
    assert list(summary["kinds"]) == ["stories", "profiles", "hashtags"]
    assert sorted(p.name for p in out.iterdir()) == [
        "hashtags.csv",
        "posts.csv",
        "profiles.csv",
        "stories.csv",
    ]
    assert len(read_csv(out / "stories.csv")) == 24  # the public account has no stories to miss
    assert {r["username"] for r in read_csv(out / "profiles.csv")} == {
        "acme_1",
        "acme_2",
        "acme_3",
        "nike",
    }
    assert {r["hashtag"] for r in read_csv(out / "hashtags.csv")} == {"coffee"}
    # The --json contract of each result (a script built on it must not break silently).
    stories = summary["kinds"]["stories"]
    assert set(stories) == STORY_KEYS and set(stories["accounts"][0]) == ACCOUNT_KEYS
    for kind in ("profiles", "hashtags"):
        assert set(summary["kinds"][kind]) == KIND_KEYS
        assert set(summary["kinds"][kind]["items"][0]) == ITEM_KEYS
    # No secret in any file written, nor in what was printed.
    from igconnect.runtime import Runtime
    from igconnect.secretstore import token_key

    token = Runtime().secret_store.get(token_key(stored.connection("acme").id))
    assert token
    written = [p.read_bytes() for p in out.iterdir()]
    written.append((setup.tmp / "data" / "archive.sqlite").read_bytes())
    assert not any(token.encode() in w or b"sandbox-app-secret" in w for w in written)
    assert token not in result.stdout + result.stderr
    alone = cli("export", "stories", "--out", str(setup.tmp / "s.csv"), "--json")
    assert set(json.loads(alone.stdout)) == STORY_KEYS
    profiles = cli("export", "profiles", "--no-fetch", "--out", str(setup.tmp / "p.csv"), "--json")
    assert set(json.loads(profiles.stdout)) == KIND_KEYS


def test_a_template_names_each_kind_and_day(setup: Any, cli: Any) -> None:
    _trackers("#coffee")
    template = str(setup.tmp / "exports" / "{kind}-{date}.csv")
    result = cli("export", "--out", template, "--quiet")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""  # --quiet: only problems
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    names = sorted(p.name for p in (setup.tmp / "exports").iterdir())
    assert names == [f"{k}-{day}.csv" for k in ("hashtags", "posts", "profiles", "stories")]


def test_one_file_for_every_kind_is_refused(setup: Any, cli: Any) -> None:
    result = cli("export", "--out", str(setup.tmp / "all.csv"))
    assert result.exit_code == ExitCode.USAGE
    assert "give a directory" in result.stderr and not (setup.tmp / "all.csv").exists()
    bad = cli("export", "--out", str(setup.tmp / "{kinds}.csv"))
    assert bad.exit_code == ExitCode.USAGE and "{kind} and {date}" in bad.stderr


def test_one_kind_failing_makes_the_run_partial(sandbox_factory: Any, cli: Any) -> None:
    setup = sandbox_factory()
    setup.connect("acme", ADA)
    setup.connect("insta", "acme_1", provider="instagram", usernames=[])
    _trackers("#coffee", connection="insta")  # hashtags need the Facebook path
    out = setup.tmp / "exports"
    out.mkdir()
    result = cli("export", "--out", str(out))
    assert result.exit_code == ExitCode.PARTIAL, result.output
    assert "#coffee (connection insta): skipped: hashtag search needs a Facebook Login" in (
        result.stderr
    )
    assert (out / "stories.csv").exists() and (out / "profiles.csv").exists()
    assert not (out / "hashtags.csv").exists()  # nothing collected: no file written


def test_a_dead_connection_is_one_line_with_its_fix(sandbox_factory: Any, cli: Any) -> None:
    setup = sandbox_factory(scenarios=["already-connected@acme_1", "password-changed@bobs_bakery"])
    setup.connect("ada", ADA, usernames=["acme_1", "acme_2", "acme_3"])
    bob_token = setup.connect("bob", BOB, usernames=["bobs_bakery"])
    _trackers("#bread", "#cake", "@nike", connection="bob")  # nike: public, any Facebook path
    out = setup.tmp / "exports"
    out.mkdir()
    for _ in range(2):  # the run that finds it dead, and the next one that skips it
        result = cli("export", "--out", str(out))
        assert result.exit_code == ExitCode.PARTIAL, result.output
        lines = [line for line in result.stderr.splitlines() if "bob" in line]
        assert lines == [
            "connection 'bob' is broken (the password was changed): 3 trackers not collected "
            "(#bread, #cake, @bobs_bakery); run `igconnect login --reconnect bob`"
        ], result.stderr
        assert "skipped" not in result.stderr
        nike = [r for r in read_csv(out / "profiles.csv") if r["username"] == "nike"]
        assert [(r["access"], r["connection"]) for r in nike] == [("public", "ada")]
    # Secrets never on screen nor in a file.
    texts = [result.stdout, result.stderr] + [p.read_text() for p in out.iterdir()]
    assert not any(bob_token in t for t in texts)


def test_run_options_before_a_kind_are_refused_and_the_hint_works(setup: Any, cli: Any) -> None:
    _trackers("@acme_shop")
    out = setup.tmp / "stories.csv"
    refused = cli("export", "--out", str(out), "--quiet", "stories")
    assert refused.exit_code == ExitCode.USAGE and not out.exists()
    hint = refused.stderr.split("put it after the kind: ", 1)[1].strip()
    assert hint == f"igconnect export stories --out {out} --quiet"
    followed = cli(*hint.split()[1:])
    assert followed.exit_code == 0, followed.output
    assert out.exists()


def test_an_unassigned_hashtag_names_an_assign_that_works(setup: Any, cli: Any) -> None:
    stored.save_tracker(Tracker(kind="hashtag", target="coffee", connection=None))
    first = cli("export", "hashtags", "--out", str(setup.tmp / "h.csv"), "--json")
    item = json.loads(first.stdout)["items"][0]
    hint = item["reason"].split("`")[1]
    assert hint == "igconnect trackers assign '#coffee'"
    followed = cli("trackers", "assign", "#coffee")
    assert followed.exit_code == 0, followed.output
    again = cli("export", "hashtags", "--out", str(setup.tmp / "h.csv"), "--json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["items"][0]["state"] == "collected"
