"""The Power BI REST API client: `PowerBIService`, one method per call the publish workflow makes, each scoped to a
workspace, and what those calls return (`Workspace`, `Dataset`, `Imported`, `RefreshOutcome`).

Every HTTP failure becomes an `IcsBenchError` naming the status and the service's own message; 429 (throttled) is
retried after the wait the service asks for, a bounded number of times. Polling is bounded by a timeout and uses an
injectable sleep and clock, so tests run instantly. The bearer token comes from any `TokenProvider`
(engine.publish.powerbi.auth).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx

from engine.errors import IcsBenchError
from engine.progress import Progress, silent
from engine.publish.powerbi.auth import TokenProvider

API_ROOT = "https://api.powerbi.com/v1.0/myorg"

IMPORT_DONE = ("Succeeded", "Failed")
REFRESH_DONE = ("Completed", "Failed", "Cancelled", "Disabled", "TimedOut")

PERMISSION_ADVICE = (
    "The signed-in account or service principal needs to be a Member or Contributor of the workspace, and for a "
    "service principal a Power BI administrator must turn on the tenant setting that allows service principals to "
    "use Power BI APIs for a security group it belongs to."
)

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_DEFAULT_TIMEOUT = httpx.Timeout(120.0, connect=30.0)
_T = TypeVar("_T")


@dataclass(frozen=True)
class Workspace:
    id: str
    name: str


@dataclass(frozen=True)
class Dataset:
    id: str
    name: str
    configured_by: str | None = None


@dataclass(frozen=True)
class Imported:
    """What an upload created or overwrote."""

    import_id: str
    dataset_id: str | None
    report_id: str | None


@dataclass(frozen=True)
class RefreshOutcome:
    """How a refresh ended: `status` is the service's (Completed, Failed, Cancelled, Disabled or TimedOut)."""

    status: str
    request_id: str | None = None
    error: str | None = None
    service_exception: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status == "Completed"


class PowerBIService:
    """The REST calls `publish` needs, each scoped to a workspace id; usable on its own for finer control."""

    def __init__(
        self,
        tokens: TokenProvider,
        *,
        client: httpx.Client | None = None,
        api_root: str = API_ROOT,
        max_retries: int = 5,
        max_retry_wait: float = 300.0,
        progress: Progress = silent,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._tokens = tokens
        self._owns_client = client is None
        self._client = client if client is not None else httpx.Client(timeout=_DEFAULT_TIMEOUT)
        self._root = api_root.rstrip("/")
        self._max_retries = max(0, max_retries)
        self._max_retry_wait = max_retry_wait
        self._progress = progress
        self._sleep = sleep
        self._clock = clock

    def close(self) -> None:
        """Close the HTTP client if this object made it; a client passed in stays open for its owner."""
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> PowerBIService:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def find_workspace(self, name_or_id: str) -> Workspace:
        """The workspace with this id (if it looks like one) or this exact name, as this account sees it."""
        wanted = name_or_id.strip()
        if _GUID.match(wanted):
            found = self._json(
                "GET", f"/groups/{wanted}", what=f"look up workspace {wanted}", missing=_workspace_missing(wanted)
            )
            return Workspace(id=str(found["id"]), name=str(found.get("name", wanted)))
        quoted = wanted.replace("'", "''")
        body = self._json(
            "GET", "/groups", params={"$filter": f"name eq '{quoted}'"}, what=f"look up workspace '{wanted}'"
        )
        groups = _values(body)
        matches = [g for g in groups if g.get("name") == wanted] or [
            g for g in groups if str(g.get("name", "")).casefold() == wanted.casefold()
        ]
        if not matches:
            raise IcsBenchError(_workspace_missing(wanted))
        return Workspace(id=str(matches[0]["id"]), name=str(matches[0]["name"]))

    def import_pbix(
        self, workspace: Workspace, pbix: Path, dataset_name: str, *, timeout: float = 900.0, interval: float = 5.0
    ) -> Imported:
        """Upload `pbix` as `dataset_name`, replacing a model and report of that name, and wait until it is in."""
        if not pbix.is_file():
            raise IcsBenchError(f"{pbix}: no such .pbix file; build the report first or give the right path")
        display_name = dataset_name if dataset_name.lower().endswith(".pbix") else f"{dataset_name}.pbix"
        size_mb = pbix.stat().st_size / 1_000_000
        self._progress(f"Uploading {pbix.name} ({size_mb:,.1f} MB) to workspace '{workspace.name}'")
        started = self._json(
            "POST",
            f"/groups/{workspace.id}/imports",
            params={"datasetDisplayName": display_name, "nameConflict": "CreateOrOverwrite"},
            upload=pbix,
            what=f"upload {pbix.name} to workspace '{workspace.name}'",
        )
        import_id = str(started["id"])
        self._progress("Waiting for Power BI to process the upload")

        def check() -> dict[str, Any] | None:
            state = self._json(
                "GET",
                f"/groups/{workspace.id}/imports/{import_id}",
                what=f"check the upload of {pbix.name}",
            )
            return state if state.get("importState") in IMPORT_DONE else None

        state = self._poll(
            check,
            timeout=timeout,
            interval=interval,
            timed_out=(
                f"Power BI was still processing the upload of {pbix.name} to workspace '{workspace.name}' after "
                f"{timeout:,.0f} seconds; look at the workspace in the Power BI service, or allow longer"
            ),
        )
        if state["importState"] == "Failed":
            reason = _describe_error(state.get("error")) or "the service gave no reason"
            raise IcsBenchError(f"Power BI could not import {pbix.name} into workspace '{workspace.name}': {reason}")
        datasets = state.get("datasets") or []
        reports = state.get("reports") or []
        return Imported(
            import_id=import_id,
            dataset_id=str(datasets[0]["id"]) if datasets else None,
            report_id=str(reports[0]["id"]) if reports else None,
        )

    def find_dataset(self, workspace: Workspace, name: str) -> Dataset:
        """The semantic model called `name` in the workspace (exact name first, then ignoring case)."""
        body = self._json("GET", f"/groups/{workspace.id}/datasets", what=f"list the models in '{workspace.name}'")
        found = _values(body)
        matches = [d for d in found if d.get("name") == name] or [
            d for d in found if str(d.get("name", "")).casefold() == name.casefold()
        ]
        if len(matches) == 1:
            d = matches[0]
            return Dataset(id=str(d["id"]), name=str(d["name"]), configured_by=d.get("configuredBy"))
        if matches:
            raise IcsBenchError(
                f"Workspace '{workspace.name}' has {len(matches)} semantic models named '{name}'; "
                "rename or delete the extra ones in the Power BI service, then publish again"
            )
        names = ", ".join(sorted(str(d.get("name")) for d in found)) or "none"
        raise IcsBenchError(
            f"Workspace '{workspace.name}' has no semantic model named '{name}' (it has: {names}); "
            "publish the .pbix first, or give the model's name as it appears in the workspace"
        )

    def take_over(self, workspace: Workspace, dataset_id: str) -> None:
        """Make this account the model's owner, which changing its parameters and refreshing it require."""
        self._progress("Taking over the semantic model")
        self._send(
            "POST",
            f"/groups/{workspace.id}/datasets/{dataset_id}/Default.TakeOver",
            what="take over the semantic model",
        )

    def update_parameters(self, workspace: Workspace, dataset_id: str, parameters: Mapping[str, str]) -> None:
        """Set the semantic model's Power Query parameters (for example Server and Database)."""
        self._progress(f"Setting parameters: {', '.join(parameters)}")
        self._send(
            "POST",
            f"/groups/{workspace.id}/datasets/{dataset_id}/Default.UpdateParameters",
            payload={"updateDetails": [{"name": name, "newValue": value} for name, value in parameters.items()]},
            what="set the semantic model's parameters",
            owner_hint=True,
        )

    def refresh(
        self, workspace: Workspace, dataset_id: str, *, timeout: float = 3600.0, interval: float = 5.0
    ) -> RefreshOutcome:
        """Start a refresh and wait for it to end; a failed refresh is returned (with the reason), not raised.

        The latest history entry is read before starting so that, if the service lists our refresh under an id
        other than the request id it answered with, the older entry is still never mistaken for ours.
        """
        history = f"/groups/{workspace.id}/datasets/{dataset_id}/refreshes"
        before = self._latest_refresh(history)
        self._progress("Starting a refresh of the semantic model")
        started = self._send(
            "POST",
            history,
            payload={"notifyOption": "NoNotification"},
            what="start a refresh of the semantic model",
            owner_hint=True,
        )
        request_id = started.headers.get("x-ms-request-id") or started.headers.get("RequestId")
        self._progress("Waiting for the refresh to finish")

        def check() -> dict[str, Any] | None:
            latest = self._latest_refresh(history)
            if latest is None or not _is_ours(latest, before, request_id):
                return None
            return latest if latest.get("status") in REFRESH_DONE else None

        entry = self._poll(
            check,
            timeout=timeout,
            interval=interval,
            timed_out=(
                f"The refresh of the semantic model in workspace '{workspace.name}' was still running after "
                f"{timeout:,.0f} seconds; it carries on in the service: see its refresh history there"
            ),
        )
        status = str(entry["status"])
        raw = entry.get("serviceExceptionJson")
        error = None
        if status != "Completed":
            error = _describe_service_exception(raw) or f"the refresh ended as {status} and the service gave no reason"
        return RefreshOutcome(
            status=status,
            request_id=entry.get("requestId") or request_id,
            error=error,
            service_exception=str(raw) if raw else None,
        )

    def _latest_refresh(self, history: str) -> dict[str, Any] | None:
        body = self._json("GET", history, params={"$top": "1"}, what="read the refresh history")
        entries = _values(body)
        return entries[0] if entries else None

    def _poll(self, check: Callable[[], _T | None], *, timeout: float, interval: float, timed_out: str) -> _T:
        deadline = self._clock() + timeout
        while True:
            result = check()
            if result is not None:
                return result
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise IcsBenchError(timed_out)
            self._sleep(min(interval, remaining))

    def _json(
        self,
        method: str,
        path: str,
        *,
        what: str,
        params: Mapping[str, str] | None = None,
        upload: Path | None = None,
        missing: str | None = None,
    ) -> dict[str, Any]:
        response = self._send(method, path, what=what, params=params, upload=upload, missing=missing)
        try:
            body = response.json()
        except ValueError as exc:
            raise IcsBenchError(f"Power BI sent an answer that is not JSON when asked to {what}") from exc
        if not isinstance(body, dict):
            raise IcsBenchError(f"Power BI sent an unexpected answer when asked to {what}")
        return body

    def _send(
        self,
        method: str,
        path: str,
        *,
        what: str,
        params: Mapping[str, str] | None = None,
        payload: Any = None,
        upload: Path | None = None,
        missing: str | None = None,
        owner_hint: bool = False,
    ) -> httpx.Response:
        """One API call, retried after the wait Power BI asks for while it answers 429, and checked."""
        url = f"{self._root}{path}"
        for attempt in range(self._max_retries + 1):
            headers = {"Authorization": f"Bearer {self._tokens.token()}"}
            try:
                with _upload_files(upload) as files:
                    response = self._client.request(
                        method, url, params=params, json=payload, files=files, headers=headers
                    )
            except httpx.TransportError as exc:
                raise IcsBenchError(
                    f"Could not reach the Power BI service to {what} ({exc.__class__.__name__}: {exc}); "
                    "check the network connection and any proxy settings, then try again"
                ) from exc
            if response.status_code != 429 or attempt == self._max_retries:
                break
            wait = min(_retry_after(response, attempt), self._max_retry_wait)
            self._progress(f"Power BI is busy (HTTP 429); trying again in {wait:,.0f} seconds")
            self._sleep(wait)
        if response.is_success:
            return response
        raise IcsBenchError(_http_error(response, what, missing=missing, owner_hint=owner_hint))


@contextmanager
def _upload_files(upload: Path | None) -> Iterator[dict[str, Any] | None]:
    """Multipart form data for a file upload, opened afresh for each attempt so a retry sends the whole file."""
    if upload is None:
        yield None
        return
    with upload.open("rb") as handle:
        yield {"file": (upload.name, handle, "application/octet-stream")}


def _values(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    values = body.get("value")
    return [v for v in values if isinstance(v, dict)] if isinstance(values, list) else []


def _is_ours(entry: Mapping[str, Any], before: Mapping[str, Any] | None, request_id: str | None) -> bool:
    if request_id and entry.get("requestId") == request_id:
        return True
    if before is None:
        return True
    same = ("requestId", "id", "startTime")
    return any(entry.get(key) != before.get(key) for key in same)


def _retry_after(response: httpx.Response, attempt: int) -> float:
    """Seconds to wait before retrying: the Retry-After header when it gives seconds, else a doubling back-off."""
    header = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(header))
    except ValueError:
        return float(2 ** (attempt + 1))


def _workspace_missing(wanted: str) -> str:
    return (
        f"No Power BI workspace '{wanted}' is visible to this account: check the name (or id), and that the "
        "account or service principal has been added to the workspace as a Member or Contributor"
    )


def _http_error(response: httpx.Response, what: str, *, missing: str | None, owner_hint: bool) -> str:
    status = response.status_code
    message = _service_message(response)
    said = f"HTTP {status}: {message}" if message else f"HTTP {status}"
    if status in (401, 403):
        text = f"Power BI refused to {what} ({said}). {PERMISSION_ADVICE}"
        if owner_hint:
            text += " Only the semantic model's owner can change its parameters or refresh it: publish with take-over."
        return text
    if status == 404 and missing is not None:
        return missing
    if status == 429:
        return f"Power BI kept refusing to {what} because of too many requests ({said}); wait a while and try again"
    return f"Power BI could not {what} ({said})"


def _service_message(response: httpx.Response) -> str:
    """The service's error text: error.message, else error.code (plus pbi.error details), else the raw body."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:300]
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            return _describe_error(error)
        for key in ("message", "Message", "error_description"):
            if isinstance(body.get(key), str):
                return str(body[key])
    return json.dumps(body)[:300]


def _describe_error(error: Any) -> str:
    if not isinstance(error, dict):
        return str(error) if error else ""
    code = str(error.get("code") or "")
    message = str(error.get("message") or error.get("details") or "")
    pbi = error.get("pbi.error")
    if not message and isinstance(pbi, dict):
        details = pbi.get("details") or []
        message = "; ".join(
            str(d.get("detail", {}).get("value", "")) for d in details if isinstance(d, dict) and d.get("detail")
        )
    if code and message:
        return f"{code}: {message}"
    return code or message


def _describe_service_exception(raw: Any) -> str:
    """serviceExceptionJson is a JSON string like {"errorCode": ..., "errorDescription": ...}; make it a sentence."""
    if not raw:
        return ""
    try:
        parsed = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return str(raw)
    if not isinstance(parsed, dict):
        return str(raw)
    code = str(parsed.get("errorCode") or "")
    description = str(parsed.get("errorDescription") or "")
    if code and description:
        return f"{code}: {description}"
    return code or description or str(raw)
