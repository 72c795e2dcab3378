"""The export's batch requests against the sandbox: the same rows and the same API calls as one
request at a time, in far fewer round trips, whatever Meta answers inside the batch."""

from __future__ import annotations

import json
from typing import Any

import pytest

from igconnect.errors import ExitCode
from tests.export.conftest import read_csv

ADA = "10000000000000001"
BOB = "10000000000000002"


def _run(cli: Any, setup: Any, **env: str) -> Any:
    return cli(
        "export",
        "stories",
        "--out",
        str(setup.out),
        "--json",
        "--breakdowns",
        "never",
        env=env or None,
    )


@pytest.mark.parametrize("scenario", [None, "batch-timeout"])
def test_batched_or_not_the_rows_and_the_calls_are_the_same(
    sandbox_factory: Any, cli: Any, scenario: str | None
) -> None:
    setup = sandbox_factory(accounts=12, scenarios=[scenario] if scenario else [])
    setup.connect("acme", ADA)
    setup.sb.reset_counters()
    alone = _run(cli, setup, IGCONNECT_EXPORT_BATCH="false")
    assert alone.exit_code == 0, alone.output
    counted_alone = setup.sb.counters()
    rows_alone = {r["story_id"]: r["status"] for r in read_csv(setup.out)}
    setup.sb.reset_counters()
    batched = _run(cli, setup)
    assert batched.exit_code == 0, batched.output
    counted = setup.sb.counters()
    assert {r["story_id"]: r["status"] for r in read_csv(setup.out)} == rows_alone
    assert counted["api_calls"] >= counted_alone["api_calls"] == 12  # nulls are sent again
    assert counted["round_trips"] < counted_alone["round_trips"]
    summary = json.loads(batched.stdout)
    # igconnect counts every item it sent; Meta does not run (nor count) an item it answers null
    nulls = summary["requests"] - counted["api_calls"]
    assert nulls == 0 if scenario is None else 0 <= nulls <= 12 // 3
    assert summary["round_trips"] == counted["round_trips"]


def test_a_throttle_inside_a_batch_pauses_only_that_account(sandbox_factory: Any, cli: Any) -> None:
    setup = sandbox_factory(accounts=6, scenarios=["throttled@acme_2"])
    setup.connect("acme", ADA)
    result = _run(cli, setup)
    assert result.exit_code == ExitCode.PARTIAL
    states = {a["username"]: a["state"] for a in json.loads(result.stdout)["accounts"]}
    assert states.pop("acme_2") == "throttled"
    assert set(states.values()) == {"collected"}


def test_a_dead_token_inside_a_batch_breaks_its_connection_only(
    sandbox_factory: Any, cli: Any
) -> None:
    setup = sandbox_factory(
        accounts=4, scenarios=["already-connected@acme_1", "password-changed@bobs_bakery"]
    )
    setup.connect("ada", ADA, usernames=["acme_1", "acme_2", "acme_3", "acme_4"])
    setup.connect("bob", BOB, usernames=["bobs_bakery"])
    result = _run(cli, setup)
    assert result.exit_code == ExitCode.PARTIAL
    summary = json.loads(result.stdout)
    assert summary["broken_connections"] == ["bob"]
    states = {a["username"]: a["state"] for a in summary["accounts"]}
    assert states == {
        "acme_1": "collected",
        "acme_2": "collected",
        "acme_3": "collected",
        "acme_4": "collected",
        "bobs_bakery": "broken",
    }
