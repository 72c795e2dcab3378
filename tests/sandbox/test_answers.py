"""The sandbox speaks Meta's recorded strings: each error it builds matches tests/meta_answers.py."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from igconnect.sandbox import errors as E
from tests.meta_answers import ANSWERS, BY_ID


def test_every_answer_has_a_source_and_content() -> None:
    ids = [a.id for a in ANSWERS]
    assert len(ids) == len(set(ids))
    for a in ANSWERS:
        assert a.source.strip(), a.id
        assert a.body is not None or a.fields, a.id
        if a.unsure:
            assert a.note, a.id  # an UNSURE entry says what the closest evidence is


def _recorded(answer_id: str) -> dict:
    a = BY_ID[answer_id]
    return a.body["error"] if a.body and "error" in a.body else a.fields


@pytest.mark.parametrize(
    ("answer_id", "build"),
    [
        ("reduce-data", E.reduce_data),
        ("policy-blocked-368", E.policy_blocked),
        ("metric-cancelled-2207086", E.metric_cancelled),
        ("metric-forbidden-200", E.metric_forbidden),
        ("throttle-32", E.throttled_page),
        ("throttle-613", E.throttled_custom),
        ("throttle-4", E.throttled_app),
        ("throttle-17", E.throttled_user),
        ("discovery-not-found", E.discovery_not_found),
        ("token-190-459", lambda: E.token_error(459, app_id="1")),
        ("token-190-460", lambda: E.token_error(460, app_id="1")),
        ("token-190-492", lambda: E.token_error(492, app_id="1")),
    ],
)
def test_errors_use_the_recorded_strings(answer_id: str, build: Callable[[], E.MetaError]) -> None:
    want = _recorded(answer_id)
    err = build().body()["error"]
    assert err["message"] == want["message"]
    assert err["code"] == want["code"]
    if "error_subcode" in want and want["error_subcode"] is not None:
        assert err["error_subcode"] == want["error_subcode"]
    if "type" in want:
        assert err["type"] == want["type"]
    status = BY_ID[answer_id].status
    if status is not None:
        assert build().status == status
