"""List sources at run time: switching one on or off (audited), and the scheduled refresh that
fetches a source's official file and puts it in force only once it is verified.

A refresh asks with ``If-None-Match`` / ``If-Modified-Since``; a 304 confirms the snapshot in
force as current. A 200 is read up to a size limit within a timeout, parsed and checked (the
importer refuses a malformed file; an entry count that falls by more than the source's allowed
share is refused). A refused download leaves the snapshot in force, records an audit event and
emails the approvers: the gate fails closed, since the snapshot then ages until it holds every
visit it binds. A fresh or re-confirmed snapshot re-checks the visits held because the source was
missing or stale (and the import itself re-checks the visits whose hits changed).
"""

from __future__ import annotations

import datetime as dt
import http.client
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from compliance import notifications
from compliance.audit import audit_record
from compliance.checks.inputs import active_snapshot
from compliance.checks.lists import lists_due
from compliance.checks.requests import visits_request_check
from compliance.models import AuditEventType, ListSource, Trigger
from compliance.screening.sources import SourceSpec, sources
from compliance.services.screening import list_snapshot_import, source_state
from config.errors import ApplicationError, PermissionDenied
from dispatch import roles
from dispatch.models import Visit
from dispatch.roles import User

logger = logging.getLogger(__name__)

OUTCOME_FETCHED = "fetched"
OUTCOME_UNCHANGED = "unchanged"  # 200 with the same bytes as the snapshot in force
OUTCOME_NOT_MODIFIED = "not-modified"  # 304
OUTCOME_REFUSED = "refused"
OUTCOME_NO_URL = "no-url"
OUTCOME_DISABLED = "disabled"


@dataclass(frozen=True)
class RefreshResult:
    source: str
    outcome: str
    message: str
    snapshot_id: int | None = None
    rechecked: int = 0


def _spec(key: str) -> SourceSpec:
    spec = sources().get(key)
    if spec is None:
        raise ApplicationError(
            f"Unknown list source {key!r}.", errors={"source": [f"One of: {', '.join(sources())}."]}
        )
    return spec


def list_source_state(key: str) -> ListSource:
    _spec(key)
    return source_state(key)


def list_source_set_enabled(*, key: str, enabled: bool, actor: User, reason: str) -> ListSource:
    """Switch a source on or off for every check, with the reason, as an audit event. Open
    visits it binds are re-checked (a source switched on may hold them; switched off, its hits
    no longer count)."""
    if not roles.can_manage_compliance(actor):
        raise PermissionDenied("Only an approver may switch a list source.")
    if not reason or not reason.strip():
        raise ApplicationError(
            "A reason is required.", errors={"reason": ["A reason is required."]}
        )
    spec = _spec(key)
    with transaction.atomic():
        state = list_source_state(key)
        state = ListSource.objects.select_for_update().get(pk=state.pk)
        if state.enabled == enabled:
            return state
        was = state.enabled
        state.enabled = enabled
        state.save(update_fields=["enabled"])
        visits_request_check(visits=Visit.objects.all(), trigger=Trigger.LIST_IMPORT)
        audit_record(
            event_type=AuditEventType.LIST_SOURCE_CHANGED,
            obj=state,
            actor=actor,
            old={"source": key, "enabled": was},
            new={"source": key, "name": spec.name, "enabled": enabled, "reason": reason.strip()},
        )
    return state


class _Refused(Exception):
    pass


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to another http(s) address (never ftp: or file:)."""

    def redirect_request(
        self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> Any:
        if not newurl.startswith(("https://", "http://")):
            raise _Refused(f"the server redirected to {newurl!r}, which is not http(s)")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_HttpOnlyRedirects)


def _download(
    url: str, state: ListSource, *, timeout: float, max_bytes: int
) -> tuple[int, bytes, Any]:
    if not url.startswith(("https://", "http://")):
        raise _Refused(f"the URL {url!r} is not http(s)")
    headers = {"User-Agent": "fab-dispatch-compliance list refresh"}
    if state.etag:
        headers["If-None-Match"] = state.etag
    if state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (scheme checked above)
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise _Refused(f"the file is {int(length)} bytes, over the limit of {max_bytes}")
            chunks: list[bytes] = []
            size = 0
            while chunk := response.read(1 << 16):
                size += len(chunk)
                if size > max_bytes:
                    raise _Refused(f"the download passed the limit of {max_bytes} bytes")
                chunks.append(chunk)
            if length and length.isdigit() and size != int(length):
                raise _Refused(f"the download was cut short: {size} of {length} bytes")
            return response.status, b"".join(chunks), response.headers
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            return 304, b"", exc.headers
        raise _Refused(f"the server answered HTTP {exc.code}") from exc
    except (urllib.error.URLError, http.client.HTTPException, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise _Refused(f"the download failed: {reason}") from exc


def _recheck_held(key: str) -> int:
    return visits_request_check(
        visits=Visit.objects.filter(current_decision__list_problem_sources__contains=f" {key} "),
        trigger=Trigger.LIST_IMPORT,
    )


def list_source_refresh(
    *, key: str, now: dt.datetime | None = None, force: bool = False
) -> RefreshResult:
    """Fetch one source's file and put it in force if it is verified (see the module docstring).
    ``force`` skips the conditional headers."""
    spec = _spec(key)
    now = now or timezone.now()
    state = list_source_state(key)
    url = state.url or spec.url
    state.last_attempt_at = now
    state.next_run_at = now + dt.timedelta(hours=spec.refresh_hours)
    if not state.enabled:
        return _finish(state, OUTCOME_DISABLED, f"{spec.name} is switched off.")
    if not url:
        return _finish(state, OUTCOME_NO_URL, f"{spec.name} has no URL to fetch from.")
    conditional = not force and active_snapshot(key) is not None
    if not conditional:
        state.etag, state.last_modified = "", ""
    config = settings.COMPLIANCE
    try:
        status, raw, headers = _download(
            url,
            state,
            timeout=float(config["LIST_FETCH_TIMEOUT_SECONDS"]),
            max_bytes=int(config["LIST_FETCH_MAX_BYTES"]),
        )
        if status == 304:
            state.last_success_at = now
            result = _finish(state, OUTCOME_NOT_MODIFIED, f"{spec.name} is unchanged (304).")
            return _with_recheck(result, key)
        if status != 200:
            raise _Refused(f"the server answered HTTP {status}")
        previous = active_snapshot(key)
        try:
            snapshot = list_snapshot_import(
                raw=raw, source=key, if_changed=True, source_name=url.rsplit("/", 1)[-1] or key
            )
        except ApplicationError as exc:
            raise _Refused(exc.message) from exc
    except _Refused as exc:
        return _refuse(state, spec, str(exc), url)
    state.etag = (headers.get("ETag") or "")[:300]
    state.last_modified = (headers.get("Last-Modified") or "")[:100]
    state.last_success_at = now
    unchanged = previous is not None and previous.pk == snapshot.pk
    result = _finish(
        state,
        OUTCOME_UNCHANGED if unchanged else OUTCOME_FETCHED,
        f"{spec.name}: snapshot {snapshot.version} in force, {snapshot.entry_count} entries"
        + (" (the file is unchanged)." if unchanged else "."),
        snapshot_id=snapshot.pk,
    )
    return _with_recheck(result, key)


def _with_recheck(result: RefreshResult, key: str) -> RefreshResult:
    with transaction.atomic():
        count = _recheck_held(key)
    return RefreshResult(result.source, result.outcome, result.message, result.snapshot_id, count)


def _finish(
    state: ListSource, outcome: str, message: str, snapshot_id: int | None = None
) -> RefreshResult:
    state.last_outcome = outcome
    state.last_error = "" if outcome != OUTCOME_REFUSED else state.last_error
    state.save()
    return RefreshResult(state.key, outcome, message, snapshot_id)


def _refuse(state: ListSource, spec: SourceSpec, reason: str, url: str) -> RefreshResult:
    logger.warning("List source %s refused: %s", state.key, reason)
    state.last_error = reason[:2000]
    with transaction.atomic():
        result = _finish(
            state,
            OUTCOME_REFUSED,
            f"{spec.name}: the download was refused ({reason}); the snapshot in force stays.",
        )
        audit_record(
            event_type=AuditEventType.LIST_REFUSED,
            obj=state,
            new={"source": state.key, "url": url, "reason": reason[:500]},
        )
        transaction.on_commit(
            lambda: notifications.notify_list_refused(spec.name, url, reason), robust=True
        )
    return result


def list_sources_due(now: dt.datetime | None = None) -> list[str]:
    """The sources in use whose next refresh is due (never fetched counts as due)."""
    return lists_due(now or timezone.now())


def list_sources_ensure() -> None:
    """A state row for every source of sources.yaml (the admin lists the rows), created with the
    file's default for ``enabled``."""
    existing = set(ListSource.objects.values_list("key", flat=True))
    ListSource.objects.bulk_create(
        [
            ListSource(key=k, enabled=spec.enabled)
            for k, spec in sources().items()
            if k not in existing
        ],
        ignore_conflicts=True,
    )
