"""The report page: one HTML file, no network (CSP `default-src 'none'`), print styles.

Everything that comes from the archive (usernames, ids, permalinks, connection names) is written by
strangers or their tools: it is escaped, and a permalink becomes a link only if it is http(s).
Every figure carries `data-figure` (what it is) and `data-value` (the exact number, empty when
missing) so a program, or a test, can read the page.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from datetime import datetime, tzinfo
from html import escape
from pathlib import Path

from igconnect.analytics.finality import LAST_SEEN, LIVE, NONE
from igconnect.analytics.rates import RATES
from igconnect.analytics.stats import versus_median
from igconnect.errors import ConfigError
from igconnect.report.model import AccountFigures, SequenceFigures

MISSING = "—"
LOGO_LIMIT = 2 * 1024 * 1024
SOURCE_TEXT = {
    LIVE: "live: the story is still up and its numbers still move",
    LAST_SEEN: "last seen: the story expired without a final read; the numbers may be low",
    NONE: "none: Meta never gave insights (fewer than 5 viewers, or every read failed)",
}

CSS = """
:root { --ink: #1f2933; --muted: #616e7c; --line: #e4e7eb; --reach: #3b6fb6; --views: #e08a2c; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1100px; padding: 24px; color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", Arial, sans-serif; }
header.report { display: flex; align-items: center; gap: 16px; border-bottom: 2px solid var(--ink);
  padding-bottom: 12px; margin-bottom: 16px; }
header.report img { max-height: 56px; max-width: 200px; }
h1 { margin: 0; font-size: 24px; } h2 { margin: 0 0 4px; font-size: 20px; }
h3 { margin: 20px 0 6px; font-size: 15px; }
.meta, .note { color: var(--muted); font-size: 12px; margin: 2px 0; }
nav.toc ul { columns: 3; padding-left: 18px; margin: 4px 0 12px; }
section.account { border-top: 1px solid var(--line); padding-top: 18px; margin-top: 24px; }
dl.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 8px;
  margin: 10px 0; }
dl.figures div { border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; }
dl.figures dt { color: var(--muted); font-size: 12px; } dl.figures dd { margin: 0; font-size: 20px;
  font-weight: 600; }
figure.chart { margin: 6px 0; } figure.chart svg { width: 100%; height: auto; display: block; }
table { border-collapse: collapse; width: 100%; font-size: 12px; margin: 4px 0 8px; }
th, td { border-bottom: 1px solid var(--line); padding: 3px 6px; text-align: right;
  vertical-align: top; white-space: nowrap; }
th:first-child, td:first-child, td.text, th.text { text-align: left; }
td.wrap { white-space: normal; word-break: break-all; }
thead th { color: var(--muted); font-weight: 600; white-space: normal; vertical-align: bottom; }
.scroll { overflow-x: auto; }
table.stories { font-size: 11px; } table.stories td, table.stories th { padding: 2px 4px; }
td.above::after { content: " ▲"; color: var(--reach); }
td.below::after { content: " ▼"; color: var(--views); }
.badge { display: inline-block; border-radius: 8px; padding: 0 6px; font-size: 11px;
  background: #fff4e5; color: #8a4b00; }
.badge.final { background: #e8f3ec; color: #1d5b33; }
a { color: var(--reach); }
footer { margin-top: 32px; color: var(--muted); font-size: 11px; }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  nav.toc { display: none; }
  section.account { border-top: none; margin-top: 0; padding-top: 0; }
  section.account ~ section.account { break-before: page; }  /* one account per page */
  figure.chart, dl.figures, tr, h3 { break-inside: avoid; }
  h3 { break-after: avoid; }
  table, table.stories { font-size: 7pt; }
  .scroll { overflow: visible; }
  a { color: inherit; text-decoration: none; }
  .badge { border: 1px solid #c8c8c8; }
}
"""


def logo_data_uri(path: Path) -> str:
    """The logo as a data: URI (the page fetches nothing); PNG, JPEG, GIF, WebP or SVG."""
    try:
        data = path.expanduser().read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"cannot read the report logo {path}: {exc.strerror or exc}",
            hint="fix it with `igconnect config set report_logo PATH`, or `config unset report_logo`",
        ) from None
    if len(data) > LOGO_LIMIT:
        raise ConfigError(f"the report logo {path} is larger than 2 MB", hint="use a smaller image")
    mime = _image_type(data)
    if mime is None:
        raise ConfigError(
            f"the report logo {path} is not a PNG, JPEG, GIF, WebP or SVG image",
            hint="set another file with `igconnect config set report_logo PATH`",
        )
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _image_type(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if b"<svg" in data[:4096]:
        return "image/svg+xml"  # shown through <img>: its scripts never run
    return None


# -- formatting -------------------------------------------------------------------------------------
def _raw(value: object) -> str:
    return "" if value is None else escape(str(value))


def _count(value: float | None) -> str:
    if value is None:
        return MISSING
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _pct(value: float | None) -> str:
    return MISSING if value is None else f"{value * 100:.1f} %"


def figure_cell(name: str, value: float | None, text: str, *, extra: str = "") -> str:
    return f'<td data-figure="{name}" data-value="{_raw(value)}"{extra}>{escape(text)}</td>'


def link(url: str | None, text: str) -> str:
    if url and re.match(r"^https?://", url, re.IGNORECASE):
        return f'<a href="{escape(url)}" rel="noopener noreferrer">{escape(text)}</a>'
    return escape(text)  # not http(s): no link (a stranger may have written it)


def local(moment: datetime, zone: tzinfo) -> str:
    return moment.astimezone(zone).strftime("%a %d %b %H:%M")


# -- the page ---------------------------------------------------------------------------------------
def page_start(
    *, title: str, logo: str | None, period: str, zone: str, generated: str, accounts: list[str]
) -> str:
    logo_html = f'<img src="{escape(logo)}" alt="">' if logo else ""
    toc = "".join(
        f'<li><a href="#account-{i}">@{escape(u)}</a></li>' for i, u in enumerate(accounts)
    )
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="igconnect">
<title>{escape(title)}</title>
<style>{CSS}</style>
</head>
<body>
<header class="report">{logo_html}<div><h1 id="report-title">{escape(title)}</h1>
<p class="meta" id="report-period">{escape(period)} · times in {escape(zone)} · {escape(generated)}</p>
</div></header>
<nav class="toc"><p class="meta" id="report-accounts" data-value="{len(accounts)}">{len(accounts)} account(s)</p><ul>{toc}</ul></nav>
"""


def page_end(version: str) -> str:
    return (
        f"<footer>Made by igconnect {escape(version)} from its story archive; the figures and "
        "formulas are described in igconnect's docs (export.md, report.md).</footer>\n</body>\n</html>\n"
    )


def account_section(
    index: int, account: AccountFigures, zone: tzinfo, charts: dict[str, str]
) -> str:
    a = account
    parts = [
        f'<section class="account" id="account-{index}" data-account-id="{escape(a.account_id)}" '
        f'data-username="{escape(a.username)}">',
        f"<h2>@{escape(a.username)}</h2>",
        f'<p class="meta">Account {escape(a.account_id)} · connection(s): '
        f"{escape(', '.join(a.connections) or MISSING)}</p>",
        _figures(a),
        "<h3>Reach and views per story</h3>",
        f'<figure class="chart" data-chart="reach-views">{charts["reach_views"]}</figure>',
        "<h3>Rates against the account's median</h3>",
        _rates_table(a),
        f'<figure class="chart" data-chart="rates">{charts["rates"]}</figure>',
        '<p class="note">Dashed line: the account\'s median over the period. Rates over reach '
        "(accounts reached); the reach rate is reach over followers at posting time.</p>",
        "<h3>Sequence drop-off</h3>",
        f'<figure class="chart" data-chart="dropoff">{charts["dropoff"]}</figure>',
        _positions_table(a),
        "<h3>Best and worst sequences by completion</h3>",
        _best_worst(a, zone),
        "<h3>Values not final</h3>",
        _not_final(a, zone),
        "<h3>Stories</h3>",
        _stories_table(a, zone),
        "</section>\n",
    ]
    return "\n".join(parts)


def _figures(a: AccountFigures) -> str:
    items = [
        ("stories", "Stories posted", len(a.stories), _count(len(a.stories))),
        ("total-reach", "Total reach", a.total_reach, _count(a.total_reach)),
        ("median-reach", "Median reach per story", a.median_reach, _count(a.median_reach)),
        ("median-views", "Median views per story", a.median_views, _count(a.median_views)),
        ("sequences", "Sequences", len(a.sequences), _count(len(a.sequences))),
        ("median-completion", "Median completion", a.median_completion, _pct(a.median_completion)),
    ]
    cells = "".join(
        f'<div><dt>{escape(label)}</dt><dd data-figure="{name}" data-value="{_raw(value)}">'
        f"{escape(text)}</dd></div>"
        for name, label, value, text in items
    )
    return f'<dl class="figures">{cells}</dl>'


def _rates_table(a: AccountFigures) -> str:
    rows = "".join(
        f'<tr data-rate="{r.column}"><td>{escape(r.label)}</td>'
        + figure_cell(f"median-{r.column}", r.median, _pct(r.median))
        + figure_cell(f"above-{r.column}", r.above, f"{r.above} of {r.counted}")
        + "</tr>"
        for r in a.rates
    )
    return (
        "<table><thead><tr><th>Rate</th><th>Account median</th><th>Stories above the median</th>"
        f"</tr></thead><tbody>{rows}</tbody></table>"
    )


def _positions_table(a: AccountFigures) -> str:
    if not a.positions:
        return '<p class="note">No sequence with every frame in the period.</p>'
    rows = "".join(
        f'<tr data-position="{p.position}"><td>Frame {p.position}</td>'
        + figure_cell("sequences", p.sequences, str(p.sequences))
        + figure_cell("median-retention", p.median_retention, _pct(p.median_retention))
        + figure_cell("median-dropoff", p.median_dropoff, _pct(p.median_dropoff))
        + "</tr>"
        for p in a.positions
    )
    return (
        "<table><thead><tr><th>Frame</th><th>Sequences</th><th>Median reach vs first frame</th>"
        f"<th>Median drop-off from previous frame</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _best_worst(a: AccountFigures, zone: tzinfo) -> str:
    if not a.best:
        return '<p class="note">No sequence of two or more stories with a completion.</p>'

    def rows(kind: str, sequences: Iterable[SequenceFigures]) -> str:
        out = []
        for s in sequences:
            frames = " ".join(link(f.permalink, str(i + 1)) for i, f in enumerate(s.stories))
            out.append(
                f'<tr data-rank="{kind}" data-sequence="{escape(s.sequence_id)}">'
                f"<td>{escape(kind)}</td><td>{escape(s.sequence_id)}</td>"
                + figure_cell("length", s.length, str(s.length))
                + figure_cell("completion", s.completion, _pct(s.completion))
                + f'<td class="text wrap">{frames}</td></tr>'
            )
        return "".join(out)

    return (
        "<table><thead><tr><th></th><th>Sequence</th><th>Frames</th><th>Completion</th>"
        '<th class="text">Stories (links)</th></tr></thead>'
        f"<tbody>{rows('best', a.best)}{rows('worst', a.worst)}</tbody></table>"
        "<p class=\"note\">Completion: the last frame's reach over the first frame's. One-story "
        "sequences are left out (theirs is always 100 %).</p>"
    )


def _not_final(a: AccountFigures, zone: tzinfo) -> str:
    stories = a.not_final
    if not stories:
        return '<p class="note" data-figure="not-final" data-value="0">Every value is final.</p>'
    counts = ", ".join(
        f"{n} {escape(source.replace('_', ' '))}"
        for source, n in a.value_sources.items()
        if source != "final"
    )
    legend = "".join(
        f"<li>{escape(text)}</li>"
        for source, text in SOURCE_TEXT.items()
        if source in a.value_sources
    )
    return (
        f'<p data-figure="not-final" data-value="{len(stories)}">{len(stories)} of '
        f"{len(a.stories)} stories have values that are not final ({counts}); they are marked in "
        f'the table below.</p><ul class="note">{legend}</ul>'
    )


def _stories_table(a: AccountFigures, zone: tzinfo) -> str:
    medians = {r.column: r.median for r in a.rates}
    head = "".join(f"<th>{escape(r.label)}</th>" for r in RATES)
    rows = []
    for s in a.stories:
        cells = [
            f'<td class="text">{escape(local(s.posted_at, zone))}</td>',
            f'<td class="text">{escape(s.media_type or MISSING)}</td>',
            figure_cell("reach", s.reach, _count(s.reach)),
            figure_cell("views", s.views, _count(s.views)),
        ]
        for rate in RATES:
            value = s.rates.get(rate.column)
            diff = versus_median(value, medians.get(rate.column))
            mark = ""
            if diff is not None and diff != 0:
                side = "above" if diff > 0 else "below"
                mark = f' class="{side}" title="{abs(diff) * 100:.0f} % {side} the median"'
            cells.append(figure_cell(rate.column, value, _pct(value), extra=mark))
        frame = f"{s.position}/{s.length}" if s.position else MISSING
        cells += [
            figure_cell("position", s.position, frame),
            figure_cell("dropoff", s.dropoff, _pct(s.dropoff)),
            figure_cell("completion", s.completion, _pct(s.completion)),
            f'<td class="text" data-figure="value-source" data-value="{escape(s.value_source)}">'
            f'<span class="badge{" final" if s.value_source == "final" else ""}">'
            f"{escape(s.value_source.replace('_', ' '))}</span></td>",
            f'<td class="text">{link(s.permalink, "open")}</td>',
        ]
        rows.append(f'<tr data-story-id="{escape(s.story_id)}">{"".join(cells)}</tr>')
    return (
        '<div class="scroll"><table class="stories"><thead><tr><th class="text">Posted</th><th class="text">Type</th>'
        f"<th>Reach</th><th>Views</th>{head}<th>Frame</th><th>Drop-off</th><th>Completion</th>"
        f'<th class="text">Values</th><th class="text">Link</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )
