"""Business discovery's answers, as Meta gives them (tests/meta_answers.py), read by typed fields."""

from __future__ import annotations

import pytest

from igconnect.meta.errors import error_from_body
from igconnect.sandbox import errors as sandbox_errors
from igconnect.trackers.discover import is_not_found
from tests.meta_answers import BY_ID


@pytest.mark.parametrize(
    ("status", "body", "not_found"),
    [
        # a username that does not exist, and a personal account: Meta answers both alike
        (BY_ID["discovery-not-found"].status, BY_ID["discovery-not-found"].body, True),
        (400, {"error": {**BY_ID["discovery-personal"].fields, "message": "x"}}, True),
        # the same code with another subcode, a throttle, a dead token: not a "not found"
        (400, {"error": {"message": "Invalid user id", "code": 110}}, False),
        (403, {"error": {"message": "(#4) Application request limit reached", "code": 4}}, False),
        (400, {"error": {"message": "Error validating access token", "code": 190}}, False),
    ],
)
def test_not_found_is_decided_on_code_and_subcode(status: int, body: dict, not_found: bool) -> None:
    assert is_not_found(error_from_body(status, body)) is not_found


def test_the_sandbox_answers_what_meta_answers() -> None:
    answer = sandbox_errors.discovery_not_found().body()["error"]
    recorded = BY_ID["discovery-not-found"].body["error"]
    assert (answer["code"], answer["error_subcode"], answer["message"]) == (
        recorded["code"],
        recorded["error_subcode"],
        recorded["message"],
    )
    assert is_not_found(error_from_body(400, {"error": answer}))
