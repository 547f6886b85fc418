"""Publishing to the Power BI service and its REST client: every endpoint mocked with respx, time faked."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from engine.errors import IcsBenchError
from engine.publish.powerbi.rest import API_ROOT, PowerBIService, Workspace
from engine.publish.powerbi.service import PublishResult, PublishSettings, publish_report

WS = "0a1b2c3d-0000-4000-8000-00000000000a"
DS = "d5000000-0000-4000-8000-000000000001"
GROUP = f"/groups/{WS}"
HISTORY = f"{GROUP}/datasets/{DS}/refreshes"
TOKEN = "fake-token"


class FakeTokens:
    def __init__(self) -> None:
        self.calls = 0

    def token(self) -> str:
        self.calls += 1
        return TOKEN


class FakeTime:
    """A clock that moves only when something sleeps, so polling and back-off take no real time."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=API_ROOT, assert_all_called=True) as router:
        yield router


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


def run_publish(fake_time: FakeTime, settings: PublishSettings, **kwargs: Any) -> PublishResult:
    messages: list[str] = []
    result = publish_report(
        settings, FakeTokens(), progress=messages.append, sleep=fake_time.sleep, clock=fake_time.clock, **kwargs
    )
    assert messages, "progress is reported"
    return result


def workspace_found(api: respx.MockRouter, name: str = "ICS Benchmarks") -> respx.Route:
    return api.get("/groups", params={"$filter": f"name eq '{name}'"}).respond(
        json={"value": [{"id": WS, "name": name}]}
    )


def history(*entries: dict[str, Any]) -> httpx.Response:
    return httpx.Response(200, json={"value": list(entries)})


def test_publish_uploads_sets_parameters_and_refreshes(
    api: respx.MockRouter, fake_time: FakeTime, tmp_path: Path
) -> None:
    pbix = tmp_path / "ICS Benchmarking.pbix"
    pbix.write_bytes(b"PK-fake-pbix-bytes")
    uploaded: list[bytes] = []

    def accept_upload(request: httpx.Request) -> httpx.Response:
        uploaded.append(request.read())
        assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
        return httpx.Response(202, json={"id": "import-1"})

    workspace_found(api)
    api.post(f"{GROUP}/imports").mock(side_effect=accept_upload)
    api.get(f"{GROUP}/imports/import-1").mock(
        side_effect=[
            httpx.Response(200, json={"id": "import-1", "importState": "Publishing"}),
            httpx.Response(
                200,
                json={
                    "id": "import-1",
                    "importState": "Succeeded",
                    "datasets": [{"id": DS, "name": "ICS Benchmarking"}],
                    "reports": [{"id": "report-1", "name": "ICS Benchmarking"}],
                },
            ),
        ]
    )
    api.post(f"{GROUP}/datasets/{DS}/Default.UpdateParameters").respond(200)
    api.get(HISTORY, params={"$top": "1"}).mock(
        side_effect=[
            history({"requestId": "earlier", "status": "Completed"}),
            history({"requestId": "earlier", "status": "Completed"}),
            history({"requestId": "request-1", "status": "Unknown"}),
            history({"requestId": "request-1", "status": "Completed"}),
        ]
    )
    api.post(HISTORY).respond(202, headers={"x-ms-request-id": "request-1"})

    result = run_publish(
        fake_time,
        PublishSettings(workspace="ICS Benchmarks", dataset_name="ICS Benchmarking"),
        pbix=pbix,
        parameters={"Server": "sql01.nhs.local", "Database": "ics_bench"},
    )

    assert result.succeeded and result.uploaded and not result.took_over
    assert (result.workspace.id, result.dataset_id, result.report_id) == (WS, DS, "report-1")
    assert result.parameters_set == ("Server", "Database")
    assert result.refresh is not None and result.refresh.status == "Completed" and result.refresh.error is None
    assert result.refresh.request_id == "request-1"
    calls = [
        (c.request.method, c.request.url.path.removeprefix("/v1.0/myorg"), c.request.url.params) for c in api.calls
    ]
    assert [(method, path) for method, path, _ in calls] == [
        ("GET", "/groups"),
        ("POST", f"{GROUP}/imports"),
        ("GET", f"{GROUP}/imports/import-1"),
        ("GET", f"{GROUP}/imports/import-1"),
        ("POST", f"{GROUP}/datasets/{DS}/Default.UpdateParameters"),
        ("GET", HISTORY),
        ("POST", HISTORY),
        ("GET", HISTORY),
        ("GET", HISTORY),
        ("GET", HISTORY),
    ]
    assert calls[0][2]["$filter"] == "name eq 'ICS Benchmarks'"
    assert dict(calls[1][2]) == {"datasetDisplayName": "ICS Benchmarking.pbix", "nameConflict": "CreateOrOverwrite"}
    assert all(params["$top"] == "1" for method, path, params in calls if method == "GET" and path == HISTORY)
    assert all(c.request.headers["Authorization"] == f"Bearer {TOKEN}" for c in api.calls)
    assert b"PK-fake-pbix-bytes" in uploaded[0] and b'filename="ICS Benchmarking.pbix"' in uploaded[0]
    assert json.loads(api.calls[4].request.content) == {
        "updateDetails": [
            {"name": "Server", "newValue": "sql01.nhs.local"},
            {"name": "Database", "newValue": "ics_bench"},
        ]
    }
    assert json.loads(api.calls[6].request.content) == {"notifyOption": "NoNotification"}
    assert fake_time.sleeps == [5.0, 5.0, 5.0]


def test_a_failed_refresh_returns_the_service_reason(api: respx.MockRouter, fake_time: FakeTime) -> None:
    workspace_found(api)
    api.get(f"{GROUP}/datasets").respond(
        json={"value": [{"id": "other", "name": "Other model"}, {"id": DS, "name": "ICS Benchmarking"}]}
    )
    take_over = api.post(f"{GROUP}/datasets/{DS}/Default.TakeOver").respond(200)
    api.get(HISTORY, params={"$top": "1"}).mock(
        side_effect=[
            history(),
            history(
                {
                    "requestId": "r-2",
                    "status": "Failed",
                    "serviceExceptionJson": json.dumps(
                        {
                            "errorCode": "ModelRefreshFailed_CredentialsNotSpecified",
                            "errorDescription": "The credentials for the SQL Server data source are missing.",
                        }
                    ),
                }
            ),
        ]
    )
    api.post(HISTORY).respond(202)

    result = run_publish(
        fake_time,
        PublishSettings(workspace="ICS Benchmarks", dataset_name="ICS Benchmarking", take_over=True),
        pbix=None,
        parameters={},
    )

    assert take_over.call_count == 1 and result.took_over and not result.uploaded
    assert result.dataset_id == DS and result.report_id is None
    assert result.refresh is not None and result.refresh.status == "Failed" and not result.succeeded
    assert result.refresh.error == (
        "ModelRefreshFailed_CredentialsNotSpecified: The credentials for the SQL Server data source are missing."
    )
    assert result.refresh.service_exception is not None
    assert "UpdateParameters" not in " ".join(str(c.request.url) for c in api.calls)


def test_forbidden_explains_the_permissions_needed(api: respx.MockRouter, fake_time: FakeTime) -> None:
    api.get("/groups").respond(403, json={"error": {"code": "PowerBINotAuthorizedException", "pbi.error": {}}})
    with pytest.raises(IcsBenchError) as raised:
        run_publish(fake_time, PublishSettings(workspace="ICS Benchmarks", dataset_name="m"), pbix=None, parameters={})
    message = str(raised.value)
    assert "HTTP 403: PowerBINotAuthorizedException" in message
    assert "Member or Contributor of the workspace" in message
    assert "tenant setting that allows service principals to use Power BI APIs" in message


def test_unauthorised_parameter_change_also_mentions_ownership(api: respx.MockRouter) -> None:
    api.post(f"{GROUP}/datasets/{DS}/Default.UpdateParameters").respond(
        401, json={"error": {"code": "Unauthorized", "message": "Only the owner can update parameters"}}
    )
    with PowerBIService(FakeTokens()) as pbi, pytest.raises(IcsBenchError) as raised:
        pbi.update_parameters(Workspace(WS, "ICS Benchmarks"), DS, {"Server": "s"})
    assert "HTTP 401: Unauthorized: Only the owner can update parameters" in str(raised.value)
    assert "publish with take-over" in str(raised.value)


def test_throttling_is_retried_after_the_wait_the_service_asks_for(api: respx.MockRouter, fake_time: FakeTime) -> None:
    route = api.get("/groups").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "7"}),
            httpx.Response(429, headers={"Retry-After": "2"}),
            httpx.Response(200, json={"value": [{"id": WS, "name": "ICS Benchmarks"}]}),
        ]
    )
    tokens = FakeTokens()
    with PowerBIService(tokens, sleep=fake_time.sleep, clock=fake_time.clock) as pbi:
        found = pbi.find_workspace("ICS Benchmarks")
    assert found == Workspace(WS, "ICS Benchmarks")
    assert route.call_count == 3 and tokens.calls == 3
    assert fake_time.sleeps == [7.0, 2.0]


def test_throttling_gives_up_after_the_retries(api: respx.MockRouter, fake_time: FakeTime) -> None:
    route = api.get("/groups").respond(429, headers={"Retry-After": "600"})
    with (
        PowerBIService(FakeTokens(), max_retries=2, max_retry_wait=60, sleep=fake_time.sleep) as pbi,
        pytest.raises(IcsBenchError, match=r"too many requests \(HTTP 429\)"),
    ):
        pbi.find_workspace("ICS Benchmarks")
    assert route.call_count == 3 and fake_time.sleeps == [60.0, 60.0]


def test_an_import_that_never_finishes_times_out(api: respx.MockRouter, fake_time: FakeTime, tmp_path: Path) -> None:
    pbix = tmp_path / "ICS Benchmarking.pbix"
    pbix.write_bytes(b"PK")
    workspace_found(api)
    api.post(f"{GROUP}/imports").respond(202, json={"id": "import-1"})
    polls = api.get(f"{GROUP}/imports/import-1").respond(json={"id": "import-1", "importState": "Publishing"})
    settings = PublishSettings(
        workspace="ICS Benchmarks", dataset_name="ICS Benchmarking", import_timeout=30, poll_interval=10
    )
    with pytest.raises(IcsBenchError, match=r"processing the upload of ICS Benchmarking\.pbix .* after 30 seconds"):
        run_publish(fake_time, settings, pbix=pbix, parameters={"Server": "s"})
    assert polls.call_count == 4 and fake_time.sleeps == [10.0, 10.0, 10.0]


def test_a_failed_import_names_the_service_reason(api: respx.MockRouter, fake_time: FakeTime, tmp_path: Path) -> None:
    pbix = tmp_path / "report.pbix"
    pbix.write_bytes(b"PK")
    api.post(f"{GROUP}/imports").respond(202, json={"id": "i"})
    api.get(f"{GROUP}/imports/i").respond(
        json={"importState": "Failed", "error": {"code": "PackageNotValid", "details": "The file is corrupt"}}
    )
    with (
        PowerBIService(FakeTokens(), sleep=fake_time.sleep, clock=fake_time.clock) as pbi,
        pytest.raises(IcsBenchError, match=r"could not import report\.pbix .*PackageNotValid: The file is corrupt"),
    ):
        pbi.import_pbix(Workspace(WS, "ICS Benchmarks"), pbix, "ICS Benchmarking")


def test_an_unknown_workspace_says_what_to_check(api: respx.MockRouter, fake_time: FakeTime) -> None:
    api.get("/groups", params={"$filter": "name eq 'Finance''s space'"}).respond(json={"value": []})
    with pytest.raises(IcsBenchError) as raised:
        run_publish(fake_time, PublishSettings(workspace="Finance's space", dataset_name="m"), pbix=None, parameters={})
    assert "No Power BI workspace 'Finance's space' is visible to this account" in str(raised.value)
    assert "Member or Contributor" in str(raised.value)


def test_a_workspace_id_is_looked_up_directly(api: respx.MockRouter) -> None:
    api.get(GROUP).respond(json={"id": WS, "name": "ICS Benchmarks"})
    api.get("/groups/ffffffff-0000-4000-8000-000000000000").respond(
        404, json={"error": {"code": "PowerBIEntityNotFound"}}
    )
    with PowerBIService(FakeTokens()) as pbi:
        assert pbi.find_workspace(WS).name == "ICS Benchmarks"
        with pytest.raises(IcsBenchError, match="No Power BI workspace 'ffffffff-0000-4000-8000-000000000000'"):
            pbi.find_workspace("ffffffff-0000-4000-8000-000000000000")


def test_a_missing_model_lists_what_the_workspace_has(api: respx.MockRouter) -> None:
    api.get(f"{GROUP}/datasets").respond(json={"value": [{"id": "1", "name": "Finance"}, {"id": "2", "name": "HR"}]})
    with PowerBIService(FakeTokens()) as pbi, pytest.raises(IcsBenchError, match=r"\(it has: Finance, HR\)"):
        pbi.find_dataset(Workspace(WS, "ICS Benchmarks"), "ICS Benchmarking")


def test_a_refresh_that_runs_too_long_times_out(api: respx.MockRouter, fake_time: FakeTime) -> None:
    api.get(HISTORY, params={"$top": "1"}).mock(
        side_effect=[history(), *[history({"requestId": "r", "status": "Unknown"})] * 4]
    )
    api.post(HISTORY).respond(202, headers={"x-ms-request-id": "r"})
    with (
        PowerBIService(FakeTokens(), sleep=fake_time.sleep, clock=fake_time.clock) as pbi,
        pytest.raises(IcsBenchError, match="still running after 60 seconds"),
    ):
        pbi.refresh(Workspace(WS, "ICS Benchmarks"), DS, timeout=60, interval=20)
    assert fake_time.sleeps == [20.0, 20.0, 20.0]


def test_a_network_failure_is_a_plain_error(api: respx.MockRouter) -> None:
    api.get("/groups").mock(side_effect=httpx.ConnectError("name resolution failed"))
    with PowerBIService(FakeTokens()) as pbi, pytest.raises(IcsBenchError, match="Could not reach the Power BI"):
        pbi.find_workspace("ICS Benchmarks")
