from __future__ import annotations

import logging

from igconnect.redact import RedactingFilter, mask, redact, remember_secret


def test_known_secrets_are_masked_anywhere() -> None:
    remember_secret("s3cret-value-42")
    assert redact("x s3cret-value-42 y") == "x *** y"


def test_token_shapes_and_secret_parameters_are_masked() -> None:
    text = (
        "GET https://graph.facebook.com/v25.0/oauth/access_token?client_id=1&client_secret=abc123"
        "&code=AQBcode&redirect_uri=http://localhost:8765/callback "
        "Authorization: OAuth EAAGsometoken1234567890abcdef and IGAAxyz1234567890abcdefghij "
        '{"access_token": "zzz123zzz"} app token 1234567890|abcdefabcdefabcdef12'
    )
    out = redact(text)
    for leaked in (
        "abc123",
        "AQBcode",
        "EAAGsometoken",
        "IGAAxyz",
        "zzz123zzz",
        "abcdefabcdefabcdef12",
    ):
        assert leaked not in out
    assert "client_id=1" in out and "redirect_uri=http://localhost:8765/callback" in out


def test_mask_shows_only_a_prefix() -> None:
    assert mask("EAAGabcdefghijkl") == "EAAG*** (16 characters)"
    assert mask(None) == "(none)"


def test_logging_filter_redacts_messages_and_tracebacks(caplog) -> None:  # type: ignore[no-untyped-def]
    logger = logging.getLogger("igconnect.test")
    logger.addFilter(RedactingFilter())
    remember_secret("very-secret-token-value")
    try:
        raise RuntimeError("failed with very-secret-token-value")
    except RuntimeError:
        logger.exception("calling with %s", "very-secret-token-value")
    assert "very-secret-token-value" not in caplog.text
