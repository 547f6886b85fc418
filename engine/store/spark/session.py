"""The Spark session a refresh runs on: a local pyspark session, a Spark Connect server, or a Databricks cluster.

`settings` is every Spark setting icsbench relies on, whichever kind of session it is: the same metric results on
every engine depend on them (UTC dates, string partition values, ANSI mode as the config says). A token for Spark
Connect or Databricks comes from the environment variable or OS keyring the config names, never from the file.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from engine.config import SparkSection
from engine.errors import ConfigError, StoreError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

KEYRING_SERVICE = "icsbench-spark"
APP_NAME = "icsbench"


def settings(section: SparkSection) -> dict[str, str]:
    """The Spark SQL settings of every icsbench session (the config's own `settings` last, so they win)."""
    return {
        "spark.sql.ansi.enabled": str(section.ansi).lower(),
        "spark.sql.shuffle.partitions": str(section.shuffle_partitions),
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
        "spark.sql.parquet.datetimeRebaseModeInRead": "CORRECTED",
        **section.settings,
    }


def local_settings(section: SparkSection) -> dict[str, str]:
    """Settings only a local session takes (a cluster's are its administrator's)."""
    return {"spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false"}


def token(section: SparkSection) -> str | None:
    """The access token for Spark Connect or Databricks, from the environment variable or keyring the config names."""
    if section.token_env:
        value = os.environ.get(section.token_env)
        if not value:
            raise ConfigError(
                f"[spark] token_env names {section.token_env}, but that environment variable is not set: set it to "
                "the access token (a Databricks personal access token, or your Spark Connect token)"
            )
        return value
    if section.token_keyring:
        import keyring

        account = section.host or section.url or "spark"
        value = keyring.get_password(KEYRING_SERVICE, account)
        if not value:
            raise ConfigError(
                f"the OS keyring has no token for {account} under the service '{KEYRING_SERVICE}'. "
                f"Store it once with `keyring set {KEYRING_SERVICE} {account}`."
            )
        return value
    return None


def connect_url(section: SparkSection) -> str:
    """The Spark Connect URL with the token (if any) as Spark Connect expects it: sc://host:port/;token=..."""
    if not section.url:
        raise ConfigError('[spark] connect = "spark_connect" needs url = "sc://<host>:<port>"')
    secret = token(section)
    base = section.url.rstrip("/")
    return f"{base}/;token={secret}" if secret else base


def open_session(section: SparkSection) -> SparkSession:
    """Start (or join) the Spark session the [spark] section describes, with icsbench's settings applied."""
    try:
        if section.connect == "databricks":
            return _databricks(section)
        from pyspark.sql import SparkSession
    except ImportError as exc:
        extra = "databricks-connect" if section.connect == "databricks" else '"ics-plics-benchmarking[spark]"'
        raise StoreError(
            f"a Spark refresh needs {extra}, which cannot be loaded here ({exc}). Install it with `pip install {extra}`"
            + (" and Java 17 or newer (a JDK or JRE)." if section.connect == "local" else ".")
        ) from exc
    builder = SparkSession.builder.appName(APP_NAME)
    if section.connect == "spark_connect":
        builder = builder.remote(connect_url(section))
        chosen = settings(section)
    else:
        builder = builder.master(section.master)
        chosen = local_settings(section) | settings(section)
    for key, value in chosen.items():
        builder = builder.config(key, value)
    try:
        spark = builder.getOrCreate()
    except Exception as exc:
        raise StoreError(f"could not start the Spark session ({section.connect}): {_first_line(exc)}") from exc
    apply_settings(spark, section)
    return spark


def apply_settings(spark: SparkSession, section: SparkSection) -> None:
    """Set icsbench's SQL settings on a session that may have been started before (getOrCreate joins it)."""
    for key, value in settings(section).items():
        spark.conf.set(key, value)


def _databricks(section: SparkSection) -> SparkSession:
    from databricks.connect import DatabricksSession  # type: ignore[import-not-found, unused-ignore]

    builder = DatabricksSession.builder.remote(host=section.host, token=token(section), cluster_id=section.cluster_id)
    spark: SparkSession = builder.getOrCreate()
    apply_settings(spark, section)
    return spark


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
