"""Jobs: the only place a workflow is chained (load, refresh, publish, and what the ribbon and the demo run).

The CLI, the Excel ribbon and anything else that runs a workflow calls one of these and only shows what it returns,
so every way in does the same steps in the same order. Each job opens the store, does its steps and closes it.
"""

from engine.jobs.demo import DemoOutcome, demo
from engine.jobs.loading import (
    LoadOutcome,
    export_lake,
    extract_files,
    load,
    load_new_extracts,
    load_server_tables,
)
from engine.jobs.packing import PackOutcome, pack
from engine.jobs.publishing import PowerBIFiles, export, write_power_bi
from engine.jobs.refreshing import (
    RefreshOutcome,
    ServerRefresh,
    refresh,
    refresh_and_publish,
    refresh_on_spark,
    refresh_store,
    refresh_with_server,
)
from engine.jobs.updating import UpdateOutcome, update

__all__ = [
    "DemoOutcome",
    "LoadOutcome",
    "PackOutcome",
    "PowerBIFiles",
    "RefreshOutcome",
    "ServerRefresh",
    "UpdateOutcome",
    "demo",
    "export",
    "export_lake",
    "extract_files",
    "load",
    "load_new_extracts",
    "load_server_tables",
    "pack",
    "refresh",
    "refresh_and_publish",
    "refresh_on_spark",
    "refresh_store",
    "refresh_with_server",
    "update",
    "write_power_bi",
]
