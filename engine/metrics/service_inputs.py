"""The config's service lines and the costing data-quality checks as refresh inputs.

What a service line is ([[service_lines]] in ics.toml) and which ranges the costing checks allow (engine/codes.py)
are handed to the SQL as small tables, rebuilt at the start of each refresh (sql/store/refresh_inputs.sql), so a
service line added to the config is benchmarked at the next refresh.
"""

from __future__ import annotations

import pyarrow as pa

from engine import codes
from engine.config import IcsConfig

SERVICE_LINE_SCHEMA = pa.schema(
    [
        ("service_line", pa.string()),
        ("position", pa.int32()),
        ("setting", pa.string()),
        ("pod", pa.string()),
        ("code_fields", pa.int32()),
    ]
)
SERVICE_LINE_CODE_SCHEMA = pa.schema(
    [("service_line", pa.string()), ("field", pa.string()), ("code_prefix", pa.string())]
)
COSTING_CHECK_SCHEMA = pa.schema(
    [
        ("check_code", pa.string()),
        ("check_name", pa.string()),
        ("position", pa.int32()),
        ("lower_limit", pa.float64()),
        ("upper_limit", pa.float64()),
        ("explanation", pa.string()),
    ]
)


def input_tables(config: IcsConfig) -> dict[str, pa.Table]:
    """The registered Arrow tables refresh_inputs.sql reads for service lines and costing checks, by name."""
    return {
        "service_line_rows": service_line_table(config),
        "service_line_code_rows": service_line_code_table(config),
        "costing_check_rows": costing_check_table(),
    }


def service_line_table(config: IcsConfig) -> pa.Table:
    """One row per service line, setting and POD it takes (every POD of the setting when it lists none)."""
    rows = []
    for position, service in enumerate(config.service_lines, start=1):
        code_fields = len([field for field in service.filters() if field != "pod"])
        for setting in service.settings:
            for pod in codes.PODS[setting]:
                if service.pods and pod.code not in service.pods:
                    continue
                rows.append(
                    {
                        "service_line": service.name,
                        "position": position,
                        "setting": setting,
                        "pod": pod.code,
                        "code_fields": code_fields,
                    }
                )
    return pa.Table.from_pylist(rows, schema=SERVICE_LINE_SCHEMA)


def service_line_code_table(config: IcsConfig) -> pa.Table:
    """One row per service line, code field (hrg, tfc, diagnosis) and code prefix it lists."""
    rows = [
        {"service_line": service.name, "field": field, "code_prefix": code}
        for service in config.service_lines
        for field, values in service.filters().items()
        if field != "pod"
        for code in values
    ]
    return pa.Table.from_pylist(rows, schema=SERVICE_LINE_CODE_SCHEMA)


def costing_check_table() -> pa.Table:
    rows = [
        {
            "check_code": check.code,
            "check_name": check.name,
            "position": position,
            "lower_limit": check.lower,
            "upper_limit": check.upper,
            "explanation": check.explanation,
        }
        for position, check in enumerate(codes.COSTING_CHECKS, start=1)
    ]
    return pa.Table.from_pylist(rows, schema=COSTING_CHECK_SCHEMA)
