"""Collect one account's live stories and their metrics, with as few requests as Meta allows,
and never lose a story's final values.

The usual case is one request per account and run: `/{ig-id}/stories` with the plain metrics
expanded (`insights.metric(...)`). A story that will expire before the next run (the schedule's
interval) gets its final read now: its plain metrics (from that same listing, or one request) and its
breakdowns together; breakdowns are read only then.

Meta's answers are handled as Meta means them:
- a story under 5 viewers ("Not enough viewers") is asked again at every run, for free, in the
  expanded listing (when Meta's expansion fails as a whole because of it, UNSURE, the listing is
  read plainly that run, and only stories due for their final read cost a request of their own);
- "reduce the amount of data" (code 1): a smaller page, then no field expansion (insights per story);
  what worked is remembered for the account;
- a metric Meta rejects (code 100 naming it, the whole request cancelled with subcode 2207086, or a
  permission error for one metric) is dropped with a warning and remembered; only when every metric
  fails alike is it the account's permission that is missing;
- throttles and code 368 pause the account or the connection; a dead token closes the connection.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from igconnect.export.archive import (
    STATUS_ERROR,
    STATUS_METRIC_UNAVAILABLE,
    STATUS_OK,
    STATUS_TOO_FEW_VIEWERS,
    CollectHint,
    KnownStory,
    StoryRecord,
)
from igconnect.meta import metrics as catalogue
from igconnect.meta.client import GraphClient
from igconnect.meta.errors import (
    BadParameter,
    MetaApiError,
    MetaUnreachable,
    MetricRejected,
    NotEnoughViewers,
    PermissionMissing,
    RequestTooLarge,
    Throttled,
    TokenDead,
    TransientError,
)
from igconnect.redact import redact

log = logging.getLogger("igconnect.export")

LISTING_FIELDS = "id,media_type,media_product_type,permalink,timestamp"
PAGE_SIZES = (100, 25, 5)  # a listing Meta finds too large is asked again smaller, in this order
BATCH_LIMIT = 50
FEW_VIEWERS_REASON = "fewer than 5 viewers so far (asked again until it expires)"
BREAKDOWN_MODES = ("auto", "now", "never")  # at the final read / for every story / not at all
EXPANDED, FEW_VIEWERS, PLAIN = "expanded", "few-viewers", "plain"  # how a listing was read

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
    hint: CollectHint | None = None  # how the listing last worked for this account


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
    checkpoint: bool = False  # the token is held by a security check (190/459): try again later
    hint: CollectHint | None = None  # what worked this run, when it differs from the default


class ConnectionGate:
    """Shared by the accounts of one connection: once its token is dead or it is throttled, the
    accounts not yet collected are skipped with that reason."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reason: str | None = None
        self.state = SKIPPED  # what the accounts left get: BROKEN when the token died

    def close(self, reason: str, state: str = SKIPPED) -> None:
        with self._lock:
            if self.reason is None:
                self.reason, self.state = reason, state


class RunContext:
    """What the accounts of one run share: the API version, the schedule's interval, the metrics
    Meta rejects (remembered from earlier runs and found in this one), warnings, the clock."""

    def __init__(
        self,
        *,
        version: str,
        interval: timedelta,
        breakdowns: str,
        clock: Callable[[], datetime],
        rejected: Mapping[tuple[str, str], str] | None = None,
        extra_metrics: Iterable[str] = (),
    ) -> None:
        self.version = version
        self.interval = interval
        self.breakdowns = breakdowns
        self.clock = clock
        self.extra_metrics = tuple(extra_metrics)
        self._lock = threading.Lock()
        self.rejected: dict[tuple[str, str], str] = dict(rejected or {})  # (provider, metric)
        self.newly_rejected: dict[tuple[str, str], str] = {}
        self.no_expansion: set[str] = set()  # providers that refused field expansion this run
        self.warnings: list[str] = []

    def metrics_for(self, provider: str) -> list[str]:
        names = [m.name for m in catalogue.story_metrics(self.version, provider)]
        names += [n for n in self.extra_metrics if n not in names]
        with self._lock:
            return [n for n in names if (provider, n) not in self.rejected]

    def required_for(self, provider: str) -> list[str]:
        """The metrics a read that got insights must have: asked for, and not optional."""
        return [n for n in self.metrics_for(provider) if not catalogue.is_optional(n)]

    def breakdowns_for(self, provider: str) -> list[catalogue.Breakdown]:
        with self._lock:
            return [
                b
                for b in catalogue.story_breakdowns(self.version, provider)
                if (provider, b.metric) not in self.rejected
            ]

    def final_due(self, record: StoryRecord, now: datetime) -> bool:
        """Will the story expire before the next run? A run may start a little late: the next
        one is expected one interval from now, give or take `FINAL_GRACE`."""
        expires = record.expires_at
        return expires is not None and expires - now <= self.interval + FINAL_GRACE

    def drop(self, provider: str, names: Iterable[str], why: str) -> None:
        path = "Instagram Login" if provider == "instagram" else "Facebook Login"
        with self._lock:
            for name in names:
                if (provider, name) in self.rejected:
                    continue
                self.rejected[(provider, name)] = why
                self.newly_rejected[(provider, name)] = why
                message = (
                    f"Meta rejected the story metric '{name}' on the {path} path ({why}); "
                    "collected the rest, and will not ask for it again for a while"
                )
                self.warnings.append(message)  # the CLI prints them; the log gets them at INFO
                log.info("warning: %s", message)

    def refuse_expansion(self, provider: str, why: str) -> None:
        with self._lock:
            if provider not in self.no_expansion:
                self.no_expansion.add(provider)
                log.info("field expansion refused on the %s path (%s); per story", provider, why)


FINAL_GRACE = timedelta(minutes=2)


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
            outcome.state, outcome.reason = self.gate.state, self.gate.reason
            return outcome
        try:
            outcome.stories = self._collect(job, outcome)
        except TokenDead as exc:
            reason = f"the token of connection '{job.connection}' is dead: {exc.reason}"
            self.gate.close(reason, BROKEN)
            outcome.state, outcome.reason, outcome.token_dead = BROKEN, reason, True
            outcome.checkpoint = exc.may_recover
        except Throttled as exc:
            self._throttled(job, outcome, exc)
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

    def _throttled(self, job: AccountJob, outcome: AccountOutcome, exc: Throttled) -> None:
        until = self.run.clock() + timedelta(seconds=exc.wait_seconds)
        outcome.state = THROTTLED
        outcome.pause_until = until
        if exc.scope in ("account", "blocked"):
            # A policy block (368) comes back on the calls it concerns: pausing the account that
            # got it leaves the others to run (and to be paused in turn if they get it too).
            outcome.pause_key = f"account:{job.account_id}"
            outcome.reason = (
                f"Meta temporarily blocked calls about the account (code 368); paused until "
                f"{until:%H:%M} UTC"
                if exc.scope == "blocked"
                else f"Meta throttled the account until {until:%H:%M} UTC"
            )
            return
        if exc.scope == "app":
            outcome.pause_key = "app"
            outcome.reason = f"Meta throttled the app until {until:%H:%M} UTC"
        else:
            outcome.pause_key = f"connection:{job.connection}"
            outcome.reason = f"Meta throttled the connection until {until:%H:%M} UTC"
        self.gate.close(outcome.reason)

    # -- the steps -------------------------------------------------------------------------------
    def _collect(self, job: AccountJob, outcome: AccountOutcome) -> list[StoryRecord]:
        nodes, how = self._listing(job, outcome)
        expanded = how == EXPANDED
        now = self.run.clock()
        newest = max((parse_time(n.get("timestamp")) for n in nodes), default=None, key=_key)
        if newest is not None and newest > now:  # our clock is behind Meta's: trust Meta's
            now = newest
        records: list[StoryRecord] = []
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
            if expanded:
                record.read = True
                insights = node.get("insights")
                data = insights.get("data") if isinstance(insights, dict) else None
                if data:
                    record.values.update(parse_insights(data))
                    record.insights_read = True
                else:  # Meta leaves a story under 5 viewers out of the expansion
                    record.status, record.reason = STATUS_TOO_FEW_VIEWERS, FEW_VIEWERS_REASON
        # Without the expansion every story needs a request of its own, unless it failed only
        # because a story has too few viewers: then only stories never read before and final
        # reads are worth one (the others keep last run's values, and the expansion is tried
        # again next run).
        due = [r for r in records if self.run.final_due(r, now)]
        if how == PLAIN:
            wanted = records
        elif how == FEW_VIEWERS:
            finals = {r.story_id for r in due}
            wanted = [r for r in records if r.story_id in finals or r.story_id not in job.known]
        else:
            wanted = due
        unread = [r for r in wanted if not r.read]
        if unread:
            self._insights_per_story(job, outcome, unread)
        for record in due:
            record.final = True
        for record in records:
            if record.insights_read and self._breakdowns_due(job, record):
                self._read_breakdowns(job, outcome, record)
            self._settle_status(job, record)
        return records

    def _list(
        self, job: AccountJob, outcome: AccountOutcome, insights: list[str] | None, size: int
    ) -> list[dict[str, Any]]:
        fields = LISTING_FIELDS
        if insights:
            fields += f",insights.metric({','.join(insights)})"
        nodes: list[dict[str, Any]] = []
        params: dict[str, Any] = {"fields": fields, "limit": size}
        pages = self.client.pages(f"{job.account_id}/stories", params)
        while True:
            outcome.requests += 1  # counted before the call, so a failed call counts too
            try:
                page = next(pages)
            except StopIteration:
                outcome.requests -= 1  # the last step made no request
                return nodes
            nodes.extend(n for n in page.get("data", []) if isinstance(n, dict) and n.get("id"))

    def _listing(
        self, job: AccountJob, outcome: AccountOutcome
    ) -> tuple[list[dict[str, Any]], str]:
        """The account's stories, with their plain metrics expanded when Meta allows it.
        Returns the nodes and how they were read: EXPANDED, FEW_VIEWERS (the expansion failed
        because a story has under 5 viewers) or PLAIN."""
        how = PLAIN
        hint = job.hint or CollectHint(PAGE_SIZES[0], expand=True)
        sizes = [s for s in PAGE_SIZES if s <= hint.page_size] or [PAGE_SIZES[-1]]
        expand = hint.expand and job.provider not in self.run.no_expansion
        while expand:
            asked = self.run.metrics_for(job.provider)
            if not asked:
                break
            try:
                nodes = self._list(job, outcome, asked, sizes[0])
            except NotEnoughViewers:
                how = FEW_VIEWERS  # UNSURE: Meta fails the whole listing for one such story
                break
            except RequestTooLarge:
                if len(sizes) > 1:
                    sizes.pop(0)
                    continue
                expand = False  # even a small page is too much with the insights in it
                break
            except (BadParameter, MetricRejected, PermissionMissing) as exc:
                if isinstance(exc, BadParameter) and exc.object_missing:
                    raise
                if self._metric_problem(job, outcome, exc, asked, None):
                    continue
                if isinstance(exc, BadParameter):
                    self.run.refuse_expansion(job.provider, short(exc))
                    break
                raise
            self._remember(job, outcome, CollectHint(sizes[0], expand=True))
            return nodes, EXPANDED
        nodes = self._plain_listing(job, outcome, sizes)
        self._remember(job, outcome, CollectHint(sizes[0], expand=expand))
        return nodes, how

    def _plain_listing(
        self, job: AccountJob, outcome: AccountOutcome, sizes: list[int]
    ) -> list[dict[str, Any]]:
        while True:
            try:
                return self._list(job, outcome, None, sizes[0])
            except RequestTooLarge:
                if len(sizes) == 1:
                    raise
                sizes.pop(0)

    def _remember(self, job: AccountJob, outcome: AccountOutcome, hint: CollectHint) -> None:
        default = hint == CollectHint(PAGE_SIZES[0], expand=True)
        if hint != job.hint and not (default and job.hint is None):
            outcome.hint = hint

    def _metric_problem(
        self,
        job: AccountJob,
        outcome: AccountOutcome,
        exc: MetaApiError,
        asked: list[str],
        story_id: str | None,
    ) -> bool:
        """Is `exc` about one of the metrics `asked`? Drop those and say True; False when it is
        not about metrics (the caller decides), raising when it is about the account."""
        named = rejected_metrics(exc, asked)
        if named:
            self.run.drop(job.provider, named, short(exc))
            return True
        if not isinstance(exc, MetricRejected | PermissionMissing):
            return False
        # Meta did not say which: ask each metric alone, on one story, once. If every one fails
        # alike the account lacks a permission; otherwise the ones that fail are rejected.
        story = story_id or self._a_story(job, outcome)
        if story is None:
            return False
        failing: list[str] = []
        for name in asked:
            try:
                outcome.requests += 1
                self.client.get(f"{story}/insights", {"metric": name})
            except (TokenDead, Throttled):
                raise
            except NotEnoughViewers:
                continue  # says nothing about the metric
            except MetaApiError as single:
                if type(single) is type(exc) or rejected_metrics(single, [name]):
                    failing.append(name)
        if not failing:
            return False
        if len(failing) == len(asked):
            raise exc  # not one metric works: the account's permission is what is missing
        self.run.drop(job.provider, failing, short(exc))
        return True

    def _a_story(self, job: AccountJob, outcome: AccountOutcome) -> str | None:
        nodes = self._list(job, outcome, None, PAGE_SIZES[-1])
        return str(nodes[0]["id"]) if nodes else None

    def _insights_per_story(
        self, job: AccountJob, outcome: AccountOutcome, records: list[StoryRecord]
    ) -> None:
        todo = list(records)
        while todo:
            asked = self.run.metrics_for(job.provider)
            if not asked:
                for record in todo:
                    record.read = True
                    record.status, record.reason = STATUS_METRIC_UNAVAILABLE, "no metric accepted"
                return
            answers = self._insights_requests(job, outcome, todo, {"metric": ",".join(asked)})
            retry: list[StoryRecord] = []
            for record, (body, error) in zip(todo, answers, strict=True):
                record.read = True
                if error is None:
                    values = parse_insights((body or {}).get("data"))
                    if values:
                        record.values.update(values)
                        record.insights_read = True
                    else:  # Meta answers an empty set when a story has no insights (yet)
                        record.status, record.reason = STATUS_TOO_FEW_VIEWERS, FEW_VIEWERS_REASON
                elif isinstance(error, NotEnoughViewers):
                    record.status, record.reason = STATUS_TOO_FEW_VIEWERS, FEW_VIEWERS_REASON
                elif isinstance(error, TokenDead | Throttled):
                    raise error
                elif isinstance(error, BadParameter) and error.object_missing:
                    record.status, record.reason = (
                        STATUS_ERROR,
                        "gone before its insights were read",
                    )
                elif isinstance(error, BadParameter | MetricRejected | PermissionMissing):
                    if self._metric_problem(job, outcome, error, asked, record.story_id):
                        retry.append(record)
                    elif isinstance(error, PermissionMissing):
                        raise error
                    else:
                        record.status, record.reason = STATUS_ERROR, short(error)
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
            outcome.requests += 1
            return self.client.get(f"{record.story_id}/insights", params), None
        except (TokenDead, Throttled):
            raise
        except MetaApiError as exc:
            return None, exc

    def _breakdowns_due(self, job: AccountJob, record: StoryRecord) -> bool:
        mode = self.run.breakdowns
        if mode == "never":
            return False
        if mode == "now":
            return True
        known = job.known.get(record.story_id)
        return record.final and not (
            known is not None and known.final_read and known.breakdowns_read
        )

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
                complete = False
            elif isinstance(error, BadParameter) and not error.object_missing:
                self.run.drop(job.provider, [spec.metric], short(error))
            else:
                complete = False  # read it again at the next run, if there is one
                log.info("breakdown %s of story %s: %s", spec.metric, record.story_id, short(error))
        record.breakdowns_read = complete

    def _settle_status(self, job: AccountJob, record: StoryRecord) -> None:
        if record.status != STATUS_OK or not record.insights_read:
            return
        missing = [m for m in self.run.required_for(job.provider) if m not in record.values]
        if missing:
            record.status = STATUS_METRIC_UNAVAILABLE
            record.reason = "not given by Meta: " + ", ".join(missing)


def _key(moment: datetime | None) -> datetime:
    return moment or datetime.min.replace(tzinfo=UTC)
