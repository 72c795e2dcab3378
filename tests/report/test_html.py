"""The page's building blocks: links, logos, unique element ids across the inline charts."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from igconnect.errors import ConfigError
from igconnect.report.html import link, logo_data_uri


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://instagram.com/s/1",
            '<a href="https://instagram.com/s/1" rel="noopener noreferrer">open</a>',
        ),
        (
            'https://x.test/"onmouseover="x',
            '<a href="https://x.test/&quot;onmouseover=&quot;x" rel="noopener noreferrer">open</a>',
        ),
        ("javascript:alert(1)", "open"),
        ("JAVASCRIPT:alert(1)", "open"),
        ("data:text/html,<script>", "open"),
        (None, "open"),
        ("", "open"),
    ],
)
def test_only_http_permalinks_become_links(url: str | None, expected: str) -> None:
    assert link(url, "open") == expected


@pytest.mark.parametrize(
    ("data", "mime"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"0" * 20, "image/png"),
        (b"\xff\xd8\xff\xe0" + b"0" * 20, "image/jpeg"),
        (b"GIF89a" + b"0" * 20, "image/gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>', "image/svg+xml"),
    ],
)
def test_logo_types(tmp_path: Path, data: bytes, mime: str) -> None:
    path = tmp_path / "logo"
    path.write_bytes(data)
    assert logo_data_uri(path).startswith(f"data:{mime};base64,")


def test_logo_too_large(tmp_path: Path) -> None:
    path = tmp_path / "logo.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * (2 * 1024 * 1024))
    with pytest.raises(ConfigError, match="larger than 2 MB"):
        logo_data_uri(path)


def test_element_ids_are_unique_in_the_page(handmade: Any, cli: Any, tmp_path: Path) -> None:
    for account in ("1", "2"):
        for hour, reach in ((8, 100), (9, 70), (10, 40)):
            handmade.story(
                f"{account}-{hour}",
                f"2026-11-22T{hour:02d}:00:00Z",
                {"reach": reach, "views": reach + 5, "navigation_tap_exit": 5},
                account_id=account,
                username=f"user{account}",
            )
    out = tmp_path / "r.html"
    result = cli("report", "--since", "2026-11-22", "--until", "2026-11-22", "--out", str(out))
    assert result.exit_code == 0, result.output
    text = out.read_text()
    ids = re.findall(r'\bid="([^"]+)"', text)
    assert len(ids) == len(set(ids)) and len(ids) > 20
    references = set(re.findall(r'(?:href="#|url\(#)([^")]+)', text))
    assert references <= set(ids)  # every clip path and glyph a chart uses is its own
    assert "<?xml" not in text and "<!DOCTYPE svg" not in text
