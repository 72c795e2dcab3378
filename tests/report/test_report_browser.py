"""The report in a real headless Chromium: nothing fetched, nothing logged, something drawn, and the
figures on the page are the archive's, computed here straight from its tables."""

from __future__ import annotations

import io
import sqlite3
import statistics
from pathlib import Path
from typing import Any

import pytest

from tests.report.browser import PageLog, open_report

pytestmark = pytest.mark.browser

ACME = "17841400000000001"
HOSTILE = "17841400000000666"


def _assert_clean(log: PageLog, html: Path) -> None:
    assert log.requests == [html.resolve().as_uri()]  # the page itself, nothing else
    assert log.failed == [] and log.errors == [], (log.failed, log.errors)
    assert log.console == [], log.console


def _assert_not_blank(png: bytes) -> None:
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    colors = image.getcolors(maxcolors=1 << 20) or []
    assert len(colors) > 50, "the screenshot is (nearly) one colour"
    white = max((n for n, c in colors if c == (255, 255, 255)), default=0)
    assert white < 0.97 * image.width * image.height


def _dom_figures(page: Any, account_index: int) -> dict[str, str]:
    return page.eval_on_selector_all(
        f"#account-{account_index} dl.figures [data-figure]",
        "els => Object.fromEntries(els.map(e => [e.dataset.figure, e.dataset.value]))",
    )


def _dom_stories(page: Any, account_index: int) -> dict[str, dict[str, str]]:
    return page.eval_on_selector_all(
        f"#account-{account_index} tr[data-story-id]",
        """rows => Object.fromEntries(rows.map(r => [r.dataset.storyId, Object.fromEntries(
            [...r.querySelectorAll('[data-figure]')].map(c => [c.dataset.figure, c.dataset.value]))]))""",
    )


def _number(text: str) -> float | None:
    return None if text == "" else float(text)


def _latest(db: sqlite3.Connection, story_id: str, name: str) -> int | None:
    row = db.execute(
        "SELECT value FROM latest_values WHERE story_id = ? AND name = ?", (story_id, name)
    ).fetchone()
    return None if row is None else row[0]


def test_hand_made_report_in_chromium(
    handmade: Any, cli: Any, tmp_path: Path, chromium: str
) -> None:
    nav = {"navigation_tap_exit": 12, "navigation_tap_forward": 60, "navigation_tap_back": 3}
    handmade.story("a1", "2026-11-22T08:00:00Z", {"reach": 200, "views": 260, "replies": 2, **nav})
    handmade.story("a2", "2026-11-22T09:00:00Z", {"reach": 150, "views": 170, "shares": 3, **nav})
    handmade.story("a3", "2026-11-22T10:00:00Z", {"reach": 0, "views": 0, **nav})  # zero reach
    handmade.story("a4", "2026-11-23T10:00:00Z", {"reach": 90, "views": 95})  # no breakdowns
    handmade.story("a5", "2026-11-23T11:00:00Z", {"reach": 45, "views": 50}, final=True)
    handmade.story("a6", "2026-11-24T11:00:00Z", {}, status="too_few_viewers")
    handmade.profile("2026-11-22T00:00:00Z", 1000)
    # Written by strangers: a username, a permalink and an id that try to break out of the page.
    handmade.story(
        "<img src=x onerror=alert(1)>",
        "2026-11-22T12:00:00Z",
        {"reach": 10, "views": 12},
        account_id=HOSTILE,
        username='evil"><script>window.pwned=1</script>',
        permalink="javascript:window.pwned=2",
        connection="<b>conn</b>",
    )
    out = tmp_path / "report.html"
    result = cli("report", "--since", "2026-11-22", "--until", "2026-11-24", "--out", str(out))
    assert result.exit_code == 0, result.output
    log = PageLog()
    with open_report(out, log) as page:
        png = page.screenshot(full_page=True)
        assert page.evaluate("window.pwned") is None
        assert page.locator("script").count() == 0
        assert page.locator("a[href^='javascript']").count() == 0
        hostile = page.locator(f"section[data-account-id='{HOSTILE}'] h2").inner_text()
        assert hostile == '@evil"><script>window.pwned=1</script>'
        accounts = page.eval_on_selector_all(
            "section.account", "els => els.map(e => e.dataset.username)"
        )
        index = accounts.index("acme_shop")
        figures = _dom_figures(page, index)
        stories = _dom_stories(page, index)
        page.emulate_media(media="print")
        assert page.eval_on_selector("nav.toc", "e => getComputedStyle(e).display") == "none"
    _assert_clean(log, out)
    _assert_not_blank(png)

    assert figures["stories"] == "6"
    assert figures["total-reach"] == str(200 + 150 + 0 + 90 + 45)
    assert figures["median-reach"] == "90"
    assert figures["sequences"] == "3"
    # Day 1: 0 / 200 (the last frame reached no one), day 2: 45 / 90; day 3 has one story.
    assert _number(figures["median-completion"]) == pytest.approx(0.25)
    assert stories["a1"]["exit_rate"] == "0.06" and stories["a1"]["reach_rate"] == "0.2"
    assert stories["a1"]["reply_rate"] == "0.01" and stories["a2"]["share_rate"] == "0.02"
    assert stories["a3"]["exit_rate"] == "" and stories["a3"]["reach_rate"] == "0.0"
    assert stories["a4"]["exit_rate"] == "" and stories["a4"]["position"] == "1"
    assert stories["a5"]["dropoff"] == "0.5" and stories["a5"]["completion"] == "0.5"
    assert stories["a6"]["reach"] == "" and stories["a6"]["value-source"] == "none"
    assert stories["a4"]["value-source"] == "last_seen"  # expired, its last read not the final one
    assert stories["a5"]["value-source"] == "final"


def test_sandbox_report_in_chromium(sandbox_report: Any, chromium: str) -> None:
    report = sandbox_report
    log = PageLog()
    with open_report(report.html, log) as page:
        png = page.screenshot()
        usernames = page.eval_on_selector_all(
            "section.account", "els => els.map(e => e.dataset.username)"
        )
        ids = page.eval_on_selector_all(
            "section.account", "els => els.map(e => e.dataset.accountId)"
        )
        dom = {
            account: (_dom_figures(page, i), _dom_stories(page, i)) for i, account in enumerate(ids)
        }
        charts = page.locator("figure.chart svg").count()
    _assert_clean(log, report.html)
    _assert_not_blank(png)
    assert usernames == ["acme_1", "acme_2"]
    assert charts == 3 * len(ids)

    since = report.since.strftime("%Y-%m-%dT%H:%M:%SZ")
    until = report.until.strftime("%Y-%m-%dT%H:%M:%SZ")
    with sqlite3.connect(report.archive) as db:
        for account, (figures, stories) in dom.items():
            ids_in_period = [
                r[0]
                for r in db.execute(
                    "SELECT story_id FROM stories WHERE account_id = ? AND posted_at >= ? "
                    "AND posted_at < ? ORDER BY posted_at",
                    (account, since, until),
                )
            ]
            assert sorted(stories) == sorted(ids_in_period)
            assert figures["stories"] == str(len(ids_in_period))
            reaches = [_latest(db, s, "reach") for s in ids_in_period]
            present = [r for r in reaches if r is not None]
            assert figures["total-reach"] == str(sum(present))
            assert _number(figures["median-reach"]) == statistics.median(present)
            for story_id in ids_in_period:
                row = stories[story_id]
                reach, views = _latest(db, story_id, "reach"), _latest(db, story_id, "views")
                assert _number(row["reach"]) == reach and _number(row["views"]) == views
                exits = _latest(db, story_id, "navigation_tap_exit")
                expected = round(exits / reach, 6) if exits is not None and reach else None
                assert _number(row["exit_rate"]) == expected
