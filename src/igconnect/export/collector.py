"""Collect one account's live stories and their metrics, with as few requests as Meta allows.

The usual case is one request per account: `/{ig-id}/stories` with the plain metrics expanded
(`insights.metric(...)`). Only where that cannot work does it fall back to reading insights per
story (a batch request on graph.facebook.com, single requests on graph.instagram.com): when a live
story has too few viewers (Meta then fails the whole expanded call), or when the expansion itself
is refused.
Breakdowns cost a request per story each, so they are read once per story, late in its 24 hours.

Errors are sorted by who they concern: a story (too few viewers, gone), a metric (rejected:
dropped for the run), the account (throttled, unreachable), or the connection (dead token,
user/app throttle).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from igconnect.export.archive import (
    STATUS_ERROR,
    STATUS_METRIC_UNAVAILABLE,
    STATUS_OK,
    STATUS_TOO_FEW_VIEWERS,
    KnownStory,
    StoryRecord,
)
from igconnect.meta import metrics as catalogue
from igconnect.meta.client import GraphClient
from igconnect.meta.errors import (
    BadParameter,
    MetaApiError,
    MetaUnreachable,
    NotEnoughViewers,
    PermissionMissing,
    Throttled,
    TokenDead,
    TransientError,
)
from igconnect.redact import redact

log = logging.getLogger("igconnect.export")

LISTING_FIELDS = "id,media_type,media_product_type,permalink,timestamp"
PAGE_SIZE = 100
BATCH_LIMIT = 50

# Outcome states of an account in a run.
COLLECTED = "collected"
THROTTLED = "throttled"
BROKEN = "broken"
FAILED = "error"
SKIPPED = "skipped"


@dataclass
class AccountJob:
    connection: str
    provider: str
    username: str
    account_id: str
    known: dict[str, KnownStory] = field(default_factory=dict)


@dataclass
class AccountOutcome:
    connection: str
    username: str
    account_id: str | None
    state: str
    reason: str | None = None
    stories: list[StoryRecord] = field(default_factory=list)
    requests: int = 0
    pause_key: str | None = None  # what to pause (account:ID / connection:NAME / app)
    pause_until: datetime | None = None
    token_dead: bool = False


class ConnectionGate:
    """Shared by the accounts of one connection: once its token is dead or it is throttled, the
    accounts not yet collected are skipped with that reason."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reason: str | None = None

    def close(self, reason: str) -> None:
        with self._lock:
            if self.reason is None:
                self.reason = reason


class RunContext:
    """What the accounts of one run share: the API version, metrics dropped, warnings, the clock."""

    def __init__(
        self,
        *,
        version: str,
        breakdown_age: timedelta,
        force_breakdowns: bool,
        clock: Callable[[], datetime],
        extra_metrics: Iterable[str] = (),
    ) -> None:
        self.version = version
        self.breakdown_age = breakdown_age
        self.force_breakdowns = force_breakdowns
        self.clock = clock
        self.extra_metrics = tuple(extra_metrics)
        self._lock = threading.Lock()
        self.dropped: set[str] = set()  # metrics Meta rejected this run
        self.no_expansion: set[str] = set()  # providers that refused field expansion this run
        self.warnings: list[str] = []

    def metrics_for(self, provider: str) -> list[str]:
        names = [m.name for m in catalogue.story_metrics(self.version, provider)]
        names += [n for n in self.extra_metrics if n not in names]
        with self._lock:
            return [n for n in names if n not in self.dropped]

    def required_for(self, provider: str) -> list[str]:
        names = [m.name for m in catalogue.story_metrics(self.version, provider) if not m.unsure]
        return names + [n for n in self.extra_metrics if n not in names]

    def breakdowns_for(self, provider: str) -> list[catalogue.Breakdown]:
        with self._lock:
            return [
                b
                for b in catalogue.story_breakdowns(self.version, provider)
                if b.metric not in self.dropped
            ]

    def drop(self, names: Iterable[str], why: str) -> None:
        with self._lock:
            for name in names:
                if name in self.dropped:
                    continue
                self.dropped.add(name)
                message = f"Meta rejected the story metric '{name}' ({why}); collected the rest"
                if catalogue.is_unsure(name):
                    log.info("%s", message)
                else:  # the CLI prints the warnings; the log file gets it at INFO
                    self.warnings.append(message)
                    log.info("warning: %s", message)

    def refuse_expansion(self, provider: str, why: str) -> None:
        with self._lock:
            if provider not in self.no_expansion:
                self.no_expansion.add(provider)
                log.info("field expansion refused on the %s path (%s); per story", provider, why)


def rejected_metrics(exc: MetaApiError, asked: list[str]) -> list[str]:
    """The metrics a code-100 answer names as invalid (Meta: `metric[3] must be one of: ...`)."""
    message = exc.message
    out: list[str] = []
    for index in re.findall(r"metric\[(\d+)\]", message):
        i = int(index)
        if i < len(asked):
            out.append(asked[i])
    allowed = re.search(r"one of the following values:\s*(.+)$", message)
    if allowed:
        valid = {v.strip(" .") for v in allowed[1].split(",")}
        out += [m for m in asked if m not in valid]
    if not out:  # a message that names the metric without Meta's usual wording
        lowered = message.lower()
        out += [m for m in asked if re.search(rf"\b{re.escape(m)}\b", lowered)]
    return list(dict.fromkeys(out))


def parse_insights(data: Any) -> dict[str, int]:
    """`[{name, values: [{value}]}]` (or `total_value`) → {name: value}; absent stays absent."""
    out: dict[str, int] = {}
    for item in data if isinstance(data, list) else []:
        if not isinstance(item, dict) or "name" not in item:
            continue
        value: Any = None
        values = item.get("values")
        if isinstance(values, list) and values and isinstance(values[-1], dict):
            value = values[-1].get("value")
        elif isinstance(item.get("total_value"), dict):
            value = item["total_value"].get("value")
        if isinstance(value, int | float) and not isinstance(value, bool):
            out[str(item["name"])] = int(value)
    return out


def parse_breakdown(data: Any, spec: catalogue.Breakdown) -> dict[str, int]:
    """The dimension values of a breakdown answer as CSV columns. Meta leaves out the dimension
    values that are zero, so in an answer that was read, an absent known value is 0."""
    found: dict[str, int] = {}
    for item in data if isinstance(data, list) else []:
        total = item.get("total_value") if isinstance(item, dict) else None
        for group in (total or {}).get("breakdowns") or []:
            for result in group.get("results") or []:
                dims = result.get("dimension_values") or []
                value = result.get("value")
                if dims and isinstance(value, int | float):
                    found[str(dims[0]).upper()] = int(value)
    unknown = set(found) - set(spec.values)
    if unknown:
        log.info("%s: new dimension values not exported: %s", spec.metric, sorted(unknown))
    return {spec.column(v): found.get(v, 0) for v in spec.values}


def parse_time(text: Any) -> datetime | None:
    """Meta's `2026-11-22T08:15:00+0000`."""
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z").astimezone(UTC)
    except ValueError:
        try:
            return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
        except ValueError:
            return None


def short(exc: BaseException) -> str:
    text = exc.message if isinstance(exc, MetaApiError) else str(exc)
    return redact(text)[:200]


class AccountCollector:
    """Collects one account through one client; safe to run for many accounts in threads."""

    def __init__(self, run: RunContext, client: GraphClient, gate: ConnectionGate) -> None:
        self.run = run
        self.client = client
        self.gate = gate

    def collect(self, job: AccountJob) -> AccountOutcome:
        outcome = AccountOutcome(job.connection, job.username, job.account_id, COLLECTED)
        if self.gate.reason:
            outcome.state, outcome.reason = SKIPPED, self.gate.reason
            return outcome
        try:
            outcome.stories = self._collect(job, outcome)
        except TokenDead as exc:
            reason = f"the token of connection '{job.connection}' is dead: {exc.reason}"
            self.gate.close(reason)
            outcome.state, outcome.reason, outcome.token_dead = BROKEN, reason, True
        except Throttled as exc:
            until = self.run.clock() + timedelta(seconds=exc.wait_seconds)
            outcome.state = THROTTLED
            outcome.pause_until = until
            if exc.scope == "account":
                outcome.pause_key = f"account:{job.account_id}"
                outcome.reason = f"Meta throttled the account until {until:%H:%M} UTC"
            elif exc.scope == "app":
                outcome.pause_key = "app"
                outcome.reason = f"Meta throttled the app until {until:%H:%M} UTC"
                self.gate.close(outcome.reason)
            else:
                outcome.pause_key = f"connection:{job.connection}"
                outcome.reason = f"Meta throttled the connection until {until:%H:%M} UTC"
                self.gate.close(outcome.reason)
        except PermissionMissing as exc:
            outcome.state = FAILED
            outcome.reason = f"permission missing: {short(exc)} (reconnect with every permission)"
        except (MetaApiError, MetaUnreachable) as exc:
            outcome.state, outcome.reason = FAILED, short(exc)
        except Exception as exc:  # one account's bug or local failure must not stop the others
            log.exception("unexpected failure collecting @%s", job.username)
            outcome.state = FAILED
            outcome.reason = f"unexpected {type(exc).__name__}: {short(exc)} (see the log file)"
        return outcome

    # -- the steps -------------------------------------------------------------------------------
    def _get(self, outcome: AccountOutcome, path: str, params: dict[str, Any]) -> Any:
        outcome.requests += 1
        return self.client.get(path, params)

    def _collect(self, job: AccountJob, outcome: AccountOutcome) -> list[StoryRecord]:
        provider = job.provider
        known_few = {sid for sid, k in job.known.items() if k.status == STATUS_TOO_FEW_VIEWERS}
        nodes: list[dict[str, Any]] | None = None
        if not known_few and provider not in self.run.no_expansion:
            nodes = self._list_expanded(job, outcome)
        if nodes is None:
            nodes = self._list(job, outcome, None)
        now = self.run.clock()
        newest = max((parse_time(n.get("timestamp")) for n in nodes), default=None, key=_key)
        if newest is not None and newest > now:  # our clock is behind Meta's: trust Meta's
            now = newest
        records: list[StoryRecord] = []
        pending: list[StoryRecord] = []
        for node in nodes:
            record = StoryRecord(
                story_id=str(node.get("id")),
                media_type=node.get("media_type"),
                media_product_type=node.get("media_product_type"),
                permalink=node.get("permalink"),
                posted_at=parse_time(node.get("timestamp")),
                status=STATUS_OK,
            )
            records.append(record)
            if record.story_id in known_few:
                record.status = STATUS_TOO_FEW_VIEWERS
                record.reason = "fewer than 5 viewers (not retried)"
            elif isinstance(node.get("insights"), dict):
                record.values.update(parse_insights(node["insights"].get("data")))
            else:
                pending.append(record)
        if pending:
            self._insights_per_story(job, outcome, pending)
        for record in records:
            if record.status != STATUS_TOO_FEW_VIEWERS and self._breakdowns_due(job, record, now):
                self._read_breakdowns(job, outcome, record)
            self._settle_status(job, record)
        return records

    def _list(
        self, job: AccountJob, outcome: AccountOutcome, insights: list[str] | None
    ) -> list[dict[str, Any]]:
        fields = LISTING_FIELDS
        if insights:
            fields += f",insights.metric({','.join(insights)})"
        nodes: list[dict[str, Any]] = []
        params: dict[str, Any] = {"fields": fields, "limit": PAGE_SIZE}
        pages = self.client.pages(f"{job.account_id}/stories", params)
        while True:
            outcome.requests += 1  # counted before the call, so a failed call counts too
            try:
                page = next(pages)
            except StopIteration:
                outcome.requests -= 1  # the last step made no request
                return nodes
            nodes.extend(n for n in page.get("data", []) if isinstance(n, dict) and n.get("id"))

    def _list_expanded(
        self, job: AccountJob, outcome: AccountOutcome
    ) -> list[dict[str, Any]] | None:
        """The listing with the plain metrics expanded; None when it must fall back per story."""
        while True:
            asked = self.run.metrics_for(job.provider)
            if not asked:
                return None
            try:
                return self._list(job, outcome, asked)
            except NotEnoughViewers:
                return None  # one story under 5 viewers fails the whole call (UNSURE): per story
            except BadParameter as exc:
                if exc.object_missing:
                    raise
                rejected = rejected_metrics(exc, asked)
                if rejected:
                    self.run.drop(rejected, short(exc))
                    continue
                self.run.refuse_expansion(job.provider, short(exc))
                return None

    def _insights_per_story(
        self, job: AccountJob, outcome: AccountOutcome, records: list[StoryRecord]
    ) -> None:
        todo = list(records)
        while todo:
            asked = self.run.metrics_for(job.provider)
            if not asked:
                for record in todo:
                    record.status, record.reason = STATUS_METRIC_UNAVAILABLE, "no metric accepted"
                return
            answers = self._insights_requests(job, outcome, todo, {"metric": ",".join(asked)})
            retry: list[StoryRecord] = []
            for record, (body, error) in zip(todo, answers, strict=True):
                if error is None:
                    record.values.update(parse_insights((body or {}).get("data")))
                elif isinstance(error, NotEnoughViewers):
                    record.status = STATUS_TOO_FEW_VIEWERS
                    record.reason = "fewer than 5 viewers (not retried)"
                elif isinstance(error, BadParameter) and not error.object_missing:
                    rejected = rejected_metrics(error, asked)
                    if rejected:
                        self.run.drop(rejected, short(error))
                        retry.append(record)
                    else:
                        record.status, record.reason = STATUS_ERROR, short(error)
                elif isinstance(error, BadParameter):
                    record.status, record.reason = (
                        STATUS_ERROR,
                        "gone before its insights were read",
                    )
                elif isinstance(error, TokenDead | Throttled):
                    raise error
                else:
                    record.status, record.reason = STATUS_ERROR, short(error)
            todo = retry

    def _insights_requests(
        self,
        job: AccountJob,
        outcome: AccountOutcome,
        records: list[StoryRecord],
        params: dict[str, str],
    ) -> list[tuple[Any, MetaApiError | None]]:
        """`/{story}/insights` for each record: one batch per 50 on the Facebook path (one request
        instead of N), single requests on the Instagram path (batch there is not documented)."""
        if job.provider == "facebook" and len(records) > 1:
            from urllib.parse import urlencode

            answers: list[tuple[Any, MetaApiError | None]] = []
            for start in range(0, len(records), BATCH_LIMIT):
                chunk = records[start : start + BATCH_LIMIT]
                outcome.requests += 1
                results = self.client.batch(
                    [
                        {
                            "method": "GET",
                            "relative_url": f"{self.run.version}/{r.story_id}/insights?"
                            + urlencode(params),
                        }
                        for r in chunk
                    ]
                )
                if len(results) != len(chunk):
                    raise TransientError("the batch answer did not match the requests")
                answers += [(res.body, res.error) for res in results]
            # A batch element that timed out is retried on its own.
            return [
                self._single(outcome, r, params) if isinstance(err, TransientError) else (body, err)
                for r, (body, err) in zip(records, answers, strict=True)
            ]
        return [self._single(outcome, r, params) for r in records]

    def _single(
        self, outcome: AccountOutcome, record: StoryRecord, params: dict[str, str]
    ) -> tuple[Any, MetaApiError | None]:
        try:
            return self._get(outcome, f"{record.story_id}/insights", params), None
        except (TokenDead, Throttled):
            raise
        except MetaApiError as exc:
            return None, exc

    def _breakdowns_due(self, job: AccountJob, record: StoryRecord, now: datetime) -> bool:
        if self.run.force_breakdowns:
            return True
        known = job.known.get(record.story_id)
        if known is not None and known.breakdowns_read:
            return False
        if record.posted_at is None:
            return False
        return now - record.posted_at >= self.run.breakdown_age

    def _read_breakdowns(
        self, job: AccountJob, outcome: AccountOutcome, record: StoryRecord
    ) -> None:
        complete = True
        for spec in self.run.breakdowns_for(job.provider):
            params = {"metric": spec.metric, "breakdown": spec.breakdown}
            body, error = self._single(outcome, record, params)
            if error is None:
                record.values.update(parse_breakdown((body or {}).get("data"), spec))
            elif isinstance(error, NotEnoughViewers):
                record.status = STATUS_TOO_FEW_VIEWERS
                record.reason = "fewer than 5 viewers (not retried)"
                return
            elif isinstance(error, BadParameter) and not error.object_missing:
                self.run.drop([spec.metric], short(error))
            elif isinstance(error, TransientError):
                complete = False  # read it again next run
            else:
                complete = False
                log.info("breakdown %s of story %s: %s", spec.metric, record.story_id, short(error))
        record.breakdowns_read = complete

    def _settle_status(self, job: AccountJob, record: StoryRecord) -> None:
        if record.status != STATUS_OK:
            return
        missing = [m for m in self.run.required_for(job.provider) if m not in record.values]
        if missing:
            record.status = STATUS_METRIC_UNAVAILABLE
            record.reason = "not given by Meta: " + ", ".join(missing)


def _key(moment: datetime | None) -> datetime:
    return moment or datetime.min.replace(tzinfo=UTC)
