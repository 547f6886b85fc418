"""Publish the ICS Benchmarking report to the Power BI service: the workflow, one workspace at a time.

Find the workspace, upload the .pbix (or find the semantic model already there), optionally take the model over,
point its parameters at the costing team's database and refresh it, each step a call on `PowerBIService`
(engine.publish.powerbi.rest) signed in with a `TokenProvider` (engine.publish.powerbi.auth).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from engine.errors import IcsBenchError
from engine.progress import Progress, silent

# The sign-in classes are named here too because engine/cli/powerbi.py reaches them as `service.<name>`.
from engine.publish.powerbi.auth import TokenProvider
from engine.publish.powerbi.rest import API_ROOT, PowerBIService, RefreshOutcome, Workspace


@dataclass(frozen=True)
class PublishSettings:
    """Where and how to publish; the CLI fills this from its options and the ICS config.

    `workspace` is the workspace's name or id. `dataset_name` is the semantic model's name in the service (the
    .pbix's name without `.pbix`): the upload is named after it, and without a .pbix it is the model to update.
    """

    workspace: str
    dataset_name: str
    take_over: bool = False
    refresh: bool = True
    import_timeout: float = 900.0
    refresh_timeout: float = 3600.0
    poll_interval: float = 5.0
    max_retries: int = 5
    max_retry_wait: float = 300.0
    api_root: str = API_ROOT


@dataclass(frozen=True)
class PublishResult:
    workspace: Workspace
    dataset_id: str
    report_id: str | None
    uploaded: bool
    took_over: bool
    parameters_set: tuple[str, ...]
    refresh: RefreshOutcome | None

    @property
    def succeeded(self) -> bool:
        """True unless a refresh was asked for and did not complete."""
        return self.refresh is None or self.refresh.succeeded


def publish_report(
    settings: PublishSettings,
    token_provider: TokenProvider,
    *,
    pbix: Path | None,
    parameters: Mapping[str, str],
    client: httpx.Client | None = None,
    progress: Progress = silent,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> PublishResult:
    """Publish to the workspace in `settings`: upload `pbix` (or, with None, use the model already there), take it
    over if asked, set `parameters` (e.g. {"Server": ..., "Database": ...}) and refresh if asked.

    Errors are raised as `IcsBenchError`; a refresh that runs but fails is reported in the result instead, so the
    caller can show the service's reason and choose its exit code (`PublishResult.succeeded`).
    """
    say = progress
    with PowerBIService(
        token_provider,
        client=client,
        api_root=settings.api_root,
        max_retries=settings.max_retries,
        max_retry_wait=settings.max_retry_wait,
        progress=say,
        sleep=sleep,
        clock=clock,
    ) as service:
        say(f"Finding workspace '{settings.workspace}'")
        workspace = service.find_workspace(settings.workspace)
        report_id = None
        if pbix is not None:
            imported = service.import_pbix(
                workspace,
                pbix,
                settings.dataset_name,
                timeout=settings.import_timeout,
                interval=settings.poll_interval,
            )
            if imported.dataset_id is None:
                raise IcsBenchError(
                    f"Uploading {pbix.name} created no semantic model in workspace '{workspace.name}'; "
                    "publish the .pbix that holds the model, not a report-only file"
                )
            dataset_id, report_id = imported.dataset_id, imported.report_id
        else:
            say(f"Finding semantic model '{settings.dataset_name}'")
            dataset_id = service.find_dataset(workspace, settings.dataset_name).id
        if settings.take_over:
            service.take_over(workspace, dataset_id)
        if parameters:
            service.update_parameters(workspace, dataset_id, parameters)
        outcome = None
        if settings.refresh:
            outcome = service.refresh(
                workspace, dataset_id, timeout=settings.refresh_timeout, interval=settings.poll_interval
            )
            say(f"Refresh {outcome.status.lower()}" + (f": {outcome.error}" if outcome.error else ""))
    return PublishResult(
        workspace=workspace,
        dataset_id=dataset_id,
        report_id=report_id,
        uploaded=pbix is not None,
        took_over=settings.take_over,
        parameters_set=tuple(parameters),
        refresh=outcome,
    )
