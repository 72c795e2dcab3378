"""What reaches a cell: formula-leading text is neutralised (case 8), and every text is redacted in
the archive, the CSV, the JSONL and the log (case 10)."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from igconnect.export.archive import Archive, StoryRecord
from igconnect.runtime import Runtime


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:  # keep a CR inside a cell
        return list(csv.DictReader(handle))


DANGEROUS = ['=HYPERLINK("http://x")', "+1+cmd", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]


def _archive_rows(texts: list[str]) -> None:
    now = datetime.now(UTC)
    with Archive(Runtime().paths.archive_file) as archive:
        run_id = archive.start_run(now)
        archive.record_account(
            run_id=run_id,
            connection="acme",
            account_id="17841400000000001",
            username="acme_shop",
            api_version="v25.0",
            observed_at=now,
            stories=[
                StoryRecord(
                    story_id=f"9{i:05d}",
                    media_type="IMAGE",
                    media_product_type="STORY",
                    permalink=f"https://www.instagram.com/stories/acme_shop/{i}/",
                    posted_at=now - timedelta(hours=1, minutes=i),
                    status="error",
                    reason=text,
                    values={"reach": -3 if i == 0 else 10, "views": 0},
                    read=True,
                    insights_read=True,
                )
                for i, text in enumerate(texts)
            ],
        )


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_formula_cells_get_a_quote_and_numbers_stay_numbers(
    cli: Any, tmp_path: Path, fmt: str
) -> None:
    _archive_rows([*DANGEROUS, "plain text", "a = b"])
    out = tmp_path / f"stories.{fmt}"
    result = cli("export", "stories", "--no-fetch", "--out", str(out))
    assert result.exit_code == 0, result.output
    rows = (
        read_csv(out)
        if fmt == "csv"
        else [json.loads(line) for line in out.read_text().splitlines()]
    )
    by_id = {r["story_id"]: r for r in rows}
    reasons = [by_id[f"9{i:05d}"]["reason"] for i in range(len(DANGEROUS) + 2)]
    assert reasons == ["'" + text for text in DANGEROUS] + ["plain text", "a = b"]
    first = by_id["900000"]
    if fmt == "csv":
        assert first["reach"] == "-3" and first["views"] == "0"  # a number, unquoted
        assert ",-3," in out.read_bytes().decode()
    else:
        assert first["reach"] == -3 and first["views"] == 0


def test_the_escape_can_be_turned_off(cli: Any, tmp_path: Path, monkeypatch: Any) -> None:
    _archive_rows(DANGEROUS)
    monkeypatch.setenv("IGCONNECT_EXPORT_ESCAPE_FORMULAS", "false")
    out = tmp_path / "raw.csv"
    assert cli("export", "stories", "--no-fetch", "--out", str(out)).exit_code == 0
    assert sorted(r["reason"] for r in read_csv(out)) == sorted(DANGEROUS)


def test_a_token_echoed_in_a_permalink_is_masked_everywhere_it_is_written(
    setup: Any, cli: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Meta (here: a wrapper around the answers it gives) puts the request's token in a field."""
    from igconnect.meta import client as meta_client

    real_decode = meta_client._decode
    seen: list[str] = []

    def echoing(response: Any) -> Any:
        body = real_decode(response)
        token = response.request.headers.get("Authorization", "").partition(" ")[2]
        if token:
            seen.append(token)

        def echo(node: Any) -> Any:
            if isinstance(node, dict) and isinstance(node.get("body"), str):  # a batch item
                return {**node, "body": json.dumps(echo(json.loads(node["body"])))}
            if isinstance(node, dict):
                return {
                    k: f"{v}?access_token={token}&t={token}" if k == "permalink" else echo(v)
                    for k, v in node.items()
                }
            return [echo(v) for v in node] if isinstance(node, list) else node

        return echo(body)

    monkeypatch.setattr(meta_client, "_decode", echoing)
    csv_out, jsonl_out = tmp_path / "s.csv", tmp_path / "s.jsonl"
    assert cli("export", "stories", "--out", str(csv_out)).exit_code == 0
    monkeypatch.setattr(meta_client, "_decode", real_decode)
    assert cli("export", "stories", "--no-fetch", "--out", str(jsonl_out)).exit_code == 0
    assert seen
    paths = Runtime().paths
    written = [csv_out, jsonl_out, paths.log_dir / "export.log"]
    written += [p for p in paths.data_dir.glob("archive.sqlite*")]
    for path in written:
        text = path.read_bytes().decode("utf-8", "replace")
        assert seen[0] not in text, path
    rows = read_csv(csv_out)
    assert rows and all("access_token=***" in r["permalink"] for r in rows)
