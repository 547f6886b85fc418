"""The ICS config: one TOML file that describes the system, its providers, its extracts and its choices.

`icsbench init` writes a commented example (engine/templates/ics.toml); docs/configuration.md documents every option
and a test keeps the two in step with the models below. A wrong option is an error naming the key and what is allowed.
"""

from __future__ import annotations

import codecs
import datetime as dt
import difflib
import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from engine import codes, reference, schema
from engine.errors import ConfigError

PSEUDONYM_KEY_ENV = "ICSBENCH_PSEUDONYM_KEY"
MEMORY_LIMIT = r"^([0-9]+(?:\.[0-9]+)?)\s*(MB|GB|MiB|GiB)$"  # [store] memory_limit: a number and its unit
ProviderType = Literal["acute", "mental_health", "community", "specialist", "independent"]
Layout = Literal["activity", "cost_lines", "wide"]
Setting = Literal["apc", "op", "ec", "cc", "mh", "chs"]
Encoding = Literal["auto", "utf-8", "utf-16", "cp1252", "latin-1"]
# How a file writes numbers: the UK way (decimal point, commas between thousands) or with a decimal comma.
NumberFormat = Literal["1,234.56", "1.234,56"]

assert set(get_args(ProviderType)) == set(codes.PROVIDER_TYPES)
assert set(get_args(Setting)) == set(schema.ALL_SETTINGS)
assert set(get_args(Layout)) == set(schema.LAYOUTS)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IcsSection(_Section):
    """[ics]: who the configuration is for, and the financial years its data may hold."""

    name: str = "My integrated care system"
    earliest_year: Annotated[str, Field(pattern=schema.FIN_YEAR_PATTERN)] | None = None
    latest_year: Annotated[str, Field(pattern=schema.FIN_YEAR_PATTERN)] | None = None

    @field_validator("earliest_year", "latest_year")
    @classmethod
    def _consecutive(cls, value: str | None) -> str | None:
        if value is not None and (int(value[:4]) + 1) % 100 != int(value[5:]):
            raise ValueError(f"{value!r} is not a financial year: the second year must follow the first (2023/24)")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> IcsSection:
        if self.earliest_year and self.latest_year and self.earliest_year > self.latest_year:
            raise ValueError(f"earliest_year {self.earliest_year} is after latest_year {self.latest_year}")
        return self

    def year_range(self, today: dt.date | None = None) -> tuple[str | None, str]:
        """(earliest, latest) financial year a row may hold; the latest defaults to the financial year of today."""
        return self.earliest_year, self.latest_year or financial_year_of(today or dt.date.today())


def financial_year_of(day: dt.date) -> str:
    """The financial year (April to March) a day falls in, written 2023/24."""
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}/{(start + 1) % 100:02d}"


class Provider(_Section):
    """[[providers]]: one trust of the ICS."""

    code: Annotated[str, Field(pattern=schema.ODS_PATTERN)]
    name: str
    type: ProviderType


class StoreSection(_Section):
    """[store]: where the canonical data and results live."""

    path: str = "icsbench.duckdb"
    memory_limit: Annotated[str, Field(pattern=MEMORY_LIMIT)] = "2GB"
    threads: Annotated[int, Field(ge=1, le=256)] | None = None
    compute: Literal["in_store", "spark"] = "in_store"


class PseudonymisationSection(_Section):
    """[pseudonymisation]: how NHS numbers become patient pseudonyms."""

    key_env: str = PSEUDONYM_KEY_ENV
    allow_missing_key: bool = False


class SuppressionSection(_Section):
    """[suppression]: small-number rules for everything published (HES rules by default)."""

    enabled: bool = True
    smallest_shown: Annotated[int, Field(ge=1, le=100)] = 8
    round_to: Annotated[int, Field(ge=1, le=100)] = 5
    benchmark_min_providers: Annotated[int, Field(ge=3, le=100)] = 3
    protection_percent: Annotated[float, Field(ge=0, le=100)] = 10.0
    dominance_p_percent: Annotated[float, Field(ge=0, le=100)] = 10.0
    dominance_k_percent: Annotated[float, Field(gt=0, le=100)] = 85.0


FinYear = Annotated[str, Field(pattern=schema.FIN_YEAR_PATTERN)]


class BenchmarksSection(_Section):
    """[benchmarks]: choices the benchmark engine uses."""

    best_in_system_min_cases: Annotated[int, Field(ge=0)] = 10
    headline_min_cases: Annotated[int, Field(ge=1)] = 10
    significant_at: Literal["95%", "99.8%"] = "95%"
    overdispersion_winsorise: Annotated[float, Field(ge=0, lt=0.5)] = 0.1
    wau_unit_cost: Annotated[float, Field(gt=0)] = 3513.60
    wau_constants: dict[FinYear, Annotated[float, Field(gt=0)]] = {}
    national_schedule: str | None = None
    national_schedules: dict[FinYear, str] = {}
    market_forces_factors: str | None = None
    los_trim_points: str | None = None
    pool_periods: Literal["all", "common"] = "all"


class FoldersSection(_Section):
    """[folders]: where new extracts arrive and where published files (workbook, Parquet) are written."""

    extracts: str | None = None
    published: str = "published"


class SourceSpec(_Section):
    """What a source (an extract file or a table on the ICS SQL Server) holds, and how its columns map."""

    pattern: str
    setting: Setting
    layout: Layout = "activity"
    mapping: str | None = None
    provider: Annotated[str, Field(pattern=schema.ODS_PATTERN)] | None = None
    fin_year: Annotated[str, Field(pattern=schema.FIN_YEAR_PATTERN)] | None = None
    period: Annotated[int, Field(ge=1, le=12)] | None = None
    cost_columns: dict[str, str] = Field(default_factory=dict)
    number_format: NumberFormat | None = None

    @field_validator("cost_columns")
    @classmethod
    def _known_drivers(cls, value: dict[str, str]) -> dict[str, str]:
        allowed = codes.codes(codes.COST_DRIVERS)
        for header, driver in value.items():
            if driver not in allowed:
                raise ValueError(f"column {header!r} maps to {driver!r}; allowed cost drivers: {', '.join(allowed)}")
        return value

    @model_validator(mode="after")
    def _wide_needs_cost_columns(self) -> SourceSpec:
        if self.layout == "wide" and not self.cost_columns:
            raise ValueError('layout \'wide\' needs cost_columns = { "<file header>" = "<cost driver>", ... }')
        if self.layout != "wide" and self.cost_columns:
            raise ValueError("cost_columns is only used with layout = 'wide'")
        return self

    def pattern_regex(self) -> re.Pattern[str]:
        """The file name pattern as a regex: `*` matches anything, `{org}`, `{year}` and `{period}` capture."""
        out = []
        for token in re.split(r"(\*|\?|\{org\}|\{year\}|\{period\})", self.pattern):
            out.append(
                {
                    "*": ".*",
                    "?": ".",
                    "{org}": r"(?P<org>[A-Za-z0-9]{3,5})",
                    "{year}": r"(?P<year>[0-9]{4}[/-]?[0-9]{2})",
                    "{period}": r"(?P<period>[0-9]{1,2})",
                }.get(token, re.escape(token))
            )
        return re.compile("^" + "".join(out) + "$", re.IGNORECASE)


class ExtractSpec(SourceSpec):
    """[[extracts]]: which files are which, and how to read them."""

    encoding: Encoding = "auto"
    sheet: str | None = None


class ServerTableSpec(SourceSpec):
    """[[server.tables]]: which tables on the ICS SQL Server hold which trust's data (pattern = schema.table)."""


class ServerSection(_Section):
    """[server]: the ICS's shared SQL Server, where the trusts' tables are read and the results are published."""

    connection: str
    username: str | None = None
    password_env: str | None = None
    password_keyring: bool = False
    compute: Literal["pull", "push_down"] = "pull"
    write_workers: Annotated[int, Field(ge=1, le=16)] = 2
    tables: list[ServerTableSpec] = Field(default_factory=list)

    @field_validator("connection")
    @classmethod
    def _no_secrets(cls, value: str) -> str:
        keys = {part.split("=", 1)[0].strip().lower() for part in value.split(";") if "=" in part}
        if keys & {"pwd", "password"}:
            raise ValueError(
                "the connection string holds a password; take it out and set password_env (the name of an "
                "environment variable that holds it) or password_keyring = true (the OS keyring) instead"
            )
        return value

    @model_validator(mode="after")
    def _password_needs_user(self) -> ServerSection:
        if (self.password_env or self.password_keyring) and not self.username:
            raise ValueError('a password (password_env or password_keyring) needs username = "<SQL login>"')
        if self.password_env and self.password_keyring:
            raise ValueError("choose one of password_env and password_keyring")
        return self


class SparkSection(_Section):
    """[spark]: the Spark session a refresh with `[store] compute = "spark"` runs on, and the lake it reads."""

    connect: Literal["local", "spark_connect", "databricks"] = "local"
    master: str = "local[*]"
    url: str | None = None
    host: str | None = None
    cluster_id: str | None = None
    token_env: str | None = None
    token_keyring: bool = False
    lake: str = "lake"
    shuffle_partitions: Annotated[int, Field(ge=1, le=100_000)] = 200
    ansi: bool = True
    settings: dict[str, str] = Field(default_factory=dict)

    @field_validator("url")
    @classmethod
    def _spark_connect_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("sc://"):
            raise ValueError(f"{value!r} is not a Spark Connect URL; it starts sc://, e.g. sc://spark-host:15002")
        if value is not None and re.search(r"[;/]token=", value, re.IGNORECASE):
            raise ValueError("the URL holds a token; take it out and set token_env or token_keyring = true instead")
        return value

    @model_validator(mode="after")
    def _complete(self) -> SparkSection:
        if self.connect == "spark_connect" and not self.url:
            raise ValueError('connect = "spark_connect" needs url = "sc://<host>:<port>"')
        if self.connect == "databricks" and not (self.host and self.cluster_id):
            raise ValueError('connect = "databricks" needs host = "https://<workspace>" and cluster_id = "<id>"')
        if self.token_env and self.token_keyring:
            raise ValueError("choose one of token_env and token_keyring")
        return self


_NAME = r"^[a-z][a-z0-9_]*$"
INDEX_STEP = "index_admission"


def _code_prefixes(values: list[str]) -> list[str]:
    """Codes and code prefixes as the store holds them: upper case, without dots or spaces (I50.1 -> I501)."""
    return [value.replace(".", "").replace(" ", "").upper() for value in values if value.strip()]


class PlaceSpec(_Section):
    """[[population.places]]: a place (a group of local authority districts) the population view reports on."""

    name: str
    districts: list[str] = Field(min_length=1)


class PopulationSection(_Section):
    """[population]: the ICS's residents, the denominators for rates per head and per registered patient."""

    districts: list[str] = Field(default_factory=list)
    places: list[PlaceSpec] = Field(default_factory=list)
    scale: Annotated[float, Field(gt=0, le=100)] = 1.0
    gp_list_sizes: str | None = None

    @model_validator(mode="after")
    def _known_districts(self) -> PopulationSection:
        from engine import reference

        known = {lsoa.district for lsoa in reference.lsoas()}
        named = [*self.districts, *(d for place in self.places for d in place.districts)]
        for district in named:
            if district not in known:
                close = difflib.get_close_matches(district, sorted(known), n=3)
                hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
                raise ValueError(f"{district!r} is not a local authority district in IMD 2019{hint}")
        if self.districts:
            outside = [d for place in self.places for d in place.districts if d not in self.districts]
            if outside:
                raise ValueError(f"places name districts not in [population] districts: {', '.join(outside)}")
        return self


class ConditionSpec(_Section):
    """[[long_term_conditions]]: a long-term condition and the codes that show a patient has it."""

    name: Annotated[str, Field(pattern=_NAME)]
    label: str
    diagnoses: list[str] = Field(default_factory=list)
    services: list[str] = Field(default_factory=list)

    @field_validator("diagnoses", "services")
    @classmethod
    def _normalised(cls, value: list[str]) -> list[str]:
        return _code_prefixes(value)

    @model_validator(mode="after")
    def _has_codes(self) -> ConditionSpec:
        if not self.diagnoses and not self.services:
            raise ValueError(f"condition {self.name!r} needs diagnoses = [...] (ICD-10 prefixes) or services = [...]")
        return self


class PathwayEvents(_Section):
    """Which events a pathway's index or step takes: every listed filter must match (codes match as prefixes)."""

    settings: list[Setting] = Field(min_length=1)
    pods: list[str] = Field(default_factory=list)
    diagnoses: list[str] = Field(default_factory=list)
    hrgs: list[str] = Field(default_factory=list)
    tfcs: list[str] = Field(default_factory=list)
    services: list[str] = Field(default_factory=list)

    @field_validator("pods", "diagnoses", "hrgs", "tfcs", "services")
    @classmethod
    def _normalised(cls, value: list[str]) -> list[str]:
        return _code_prefixes(value)

    @model_validator(mode="after")
    def _known_pods(self) -> PathwayEvents:
        allowed = {pod.code for setting in self.settings for pod in codes.PODS[setting]}
        for pod in self.pods:
            if pod not in allowed:
                raise ValueError(f"POD {pod!r} is not a POD of {', '.join(self.settings)}; allowed: {sorted(allowed)}")
        return self

    def filters(self) -> dict[str, list[str]]:
        """The code filters that are set: field name (pod, diagnosis, hrg, tfc, service) -> code prefixes."""
        named = {
            "pod": self.pods,
            "diagnosis": self.diagnoses,
            "hrg": self.hrgs,
            "tfc": self.tfcs,
            "service": self.services,
        }
        return {field: values for field, values in named.items() if values}


class PathwayStep(PathwayEvents):
    """One step of a pathway after its index admission: which events, and when (days after discharge, or during)."""

    name: Annotated[str, Field(pattern=_NAME)]
    window: Literal["during", "after"] = "after"
    from_day: Annotated[int, Field(ge=0, le=730)] = 0
    to_day: Annotated[int, Field(ge=0, le=730)] = 90
    provider: Literal["any", "index"] = "any"

    @model_validator(mode="after")
    def _ordered_days(self) -> PathwayStep:
        if self.from_day > self.to_day:
            raise ValueError(f"step {self.name!r}: from_day {self.from_day} is after to_day {self.to_day}")
        return self


class PathwaySpec(_Section):
    """[[pathways]]: a whole pathway, costed from an index admission through the steps that follow it."""

    name: Annotated[str, Field(pattern=_NAME)]
    label: str
    index: PathwayEvents
    steps: list[PathwayStep] = Field(default_factory=list)

    @model_validator(mode="after")
    def _admitted_index(self) -> PathwaySpec:
        if list(self.index.settings) != ["apc"]:
            raise ValueError(f'pathway {self.name!r}: the index is an admission, so index settings must be ["apc"]')
        names = [step.name for step in self.steps]
        repeated = sorted({n for n in names if names.count(n) > 1} | ({INDEX_STEP} & set(names)))
        if repeated:
            raise ValueError(f"pathway {self.name!r}: step names must differ and not be {INDEX_STEP!r}: {repeated}")
        return self

    @property
    def follow_up_days(self) -> int:
        """How long after the index discharge the pathway runs: a pathway is complete once this has passed."""
        return max((step.to_day for step in self.steps if step.window == "after"), default=0)


class ServiceLineSpec(_Section):
    """[[service_lines]]: a service line (a group of HRGs, PODs, TFCs and diagnoses) benchmarked as a whole.

    A record belongs to the service line when it matches every filter given (codes match as prefixes: an HRG root
    such as HT12 takes every HRG under it). Its PODs must share one unit of count, so that cost per unit compares
    like with like; a record may belong to several service lines.
    """

    name: Annotated[str, Field(min_length=1, max_length=80)]
    settings: list[Setting] = Field(default_factory=lambda: list[Setting](["apc"]), min_length=1)
    pods: list[str] = Field(default_factory=list)
    hrgs: list[str] = Field(default_factory=list)
    tfcs: list[str] = Field(default_factory=list)
    diagnoses: list[str] = Field(default_factory=list)
    commentary: str | None = None

    @field_validator("name")
    @classmethod
    def _tidy_name(cls, value: str) -> str:
        if value != value.strip() or "|" in value:
            raise ValueError(f"service line name {value!r} must not start or end with spaces or hold '|'")
        return value

    @field_validator("pods", "hrgs", "tfcs", "diagnoses")
    @classmethod
    def _normalised(cls, value: list[str]) -> list[str]:
        return _code_prefixes(value)

    @model_validator(mode="after")
    def _one_unit_of_count(self) -> ServiceLineSpec:
        allowed = {pod.code for setting in self.settings for pod in codes.PODS[setting]}
        for pod in self.pods:
            if pod not in allowed:
                raise ValueError(
                    f"service line {self.name!r}: POD {pod!r} is not a POD of {', '.join(self.settings)}; "
                    f"allowed: {sorted(allowed)}"
                )
        if not (self.hrgs or self.tfcs or self.diagnoses or self.pods):
            raise ValueError(f"service line {self.name!r} needs at least one of hrgs, pods, tfcs or diagnoses")
        units = sorted({codes.POD_UNIT_OF_COUNT[pod] for pod in (self.pods or allowed)})
        if len(units) > 1:
            raise ValueError(
                f"service line {self.name!r}: its PODs are counted in different units ({', '.join(units)}); "
                "list pods = [...] that share one unit of count"
            )
        return self

    def filters(self) -> dict[str, list[str]]:
        """The code filters that are set: field name (pod, hrg, tfc, diagnosis) -> code prefixes."""
        named = {"pod": self.pods, "hrg": self.hrgs, "tfc": self.tfcs, "diagnosis": self.diagnoses}
        return {field: values for field, values in named.items() if values}


def starter_service_lines() -> list[ServiceLineSpec]:
    """The starter set of service lines the `icsbench init` template carries (the seed's hip service first)."""
    template = Path(__file__).parent / "templates" / "ics.toml"
    raw = tomllib.loads(template.read_text(encoding="utf-8"))
    return [ServiceLineSpec.model_validate(entry) for entry in raw.get("service_lines", [])]


class IcsConfig(_Section):
    """The whole ICS config file."""

    ics: IcsSection = Field(default_factory=IcsSection)
    providers: list[Provider]
    store: StoreSection = Field(default_factory=StoreSection)
    pseudonymisation: PseudonymisationSection = Field(default_factory=PseudonymisationSection)
    suppression: SuppressionSection = Field(default_factory=SuppressionSection)
    benchmarks: BenchmarksSection = Field(default_factory=BenchmarksSection)
    folders: FoldersSection = Field(default_factory=FoldersSection)
    extracts: list[ExtractSpec] = Field(default_factory=list)
    server: ServerSection | None = None
    spark: SparkSection | None = None
    population: PopulationSection = Field(default_factory=PopulationSection)
    long_term_conditions: list[ConditionSpec] = Field(default_factory=list)
    pathways: list[PathwaySpec] = Field(default_factory=list)
    service_lines: list[ServiceLineSpec] = Field(default_factory=list)
    mappings: dict[str, dict[str, str]] = Field(default_factory=dict)
    base_dir: Path = Field(default=Path(), exclude=True)

    @model_validator(mode="after")
    def _consistent(self) -> IcsConfig:
        seen: set[str] = set()
        for provider in self.providers:
            if provider.code in seen:
                raise ValueError(f"provider {provider.code} is listed twice in [[providers]]")
            seen.add(provider.code)
        known_columns = {c.name for c in (*schema.ACTIVITY_COLUMNS, *schema.COST_LINE_COLUMNS)}
        for name, mapping in self.mappings.items():
            for canonical in mapping:
                if canonical not in known_columns:
                    raise ValueError(
                        f"[mappings.{name}] maps {canonical!r}, which is not a canonical column; "
                        f"allowed: {', '.join(sorted(known_columns))}"
                    )
        for spec in (*self.extracts, *(self.server.tables if self.server else ())):
            if spec.mapping is not None and spec.mapping not in self.mappings:
                raise ValueError(
                    f"{spec.pattern!r} uses mapping {spec.mapping!r}, but there is no [mappings.{spec.mapping}]"
                    f"; defined: {', '.join(self.mappings) or 'none'}"
                )
        if self.store.compute == "spark" and self.spark is None:
            raise ValueError('[store] compute = "spark" needs a [spark] section (docs/national-scale.md)')
        if self.store.compute == "spark" and self.server is not None:
            raise ValueError(
                '[store] compute = "spark" reads the lake, not the ICS SQL Server: leave out [server], or use its '
                'compute = "pull" or "push_down"'
            )
        for kind, names in (
            ("long_term_conditions", [c.name for c in self.long_term_conditions]),
            ("pathways", [p.name for p in self.pathways]),
            ("service_lines", [s.name.casefold() for s in self.service_lines]),
        ):
            repeated = sorted({n for n in names if names.count(n) > 1})
            if repeated:
                raise ValueError(f"[[{kind}]] names must differ: {', '.join(repeated)} is listed more than once")
        return self

    @property
    def provider_codes(self) -> tuple[str, ...]:
        return tuple(p.code for p in self.providers)

    @property
    def store_path(self) -> Path:
        return resolve(self.base_dir, self.store.path)

    @property
    def lake_location(self) -> str:
        """Where the lake layout of the canonical data lives ([spark] lake; `lake` beside the config by default): a
        folder, or a URI the Spark cluster reads (abfss://..., s3://..., dbfs:/Volumes/...) kept as written."""
        named = self.spark.lake if self.spark else "lake"
        return named if re.match(r"^[a-z][a-z0-9+.-]*:/", named) else str(resolve(self.base_dir, named))

    @property
    def extracts_folder(self) -> Path | None:
        """Where new extract files arrive (the Excel Refresh button loads those not yet loaded), if set."""
        return resolve(self.base_dir, self.folders.extracts) if self.folders.extracts else None

    @property
    def published_folder(self) -> Path:
        """Where the refresh writes the published files: the Excel workbook and the Parquet tables."""
        return resolve(self.base_dir, self.folders.published)

    @property
    def gp_list_sizes_path(self) -> Path | None:
        """The CSV of GP practice list sizes ([population] gp_list_sizes), if one is named."""
        return resolve(self.base_dir, self.population.gp_list_sizes) if self.population.gp_list_sizes else None

    def national_schedule_paths(self) -> dict[str, Path | None]:
        """The national schedule for each financial year that has one (None: the bundled NCC 2023/24 file). The
        bundled schedule stands for 2023/24 unless [benchmarks] national_schedule or national_schedules gives
        another file for that year."""
        found: dict[str, Path | None] = {reference.NATIONAL_SCHEDULE_YEAR: None}
        if self.benchmarks.national_schedule:
            found[reference.NATIONAL_SCHEDULE_YEAR] = resolve(self.base_dir, self.benchmarks.national_schedule)
        found.update({year: resolve(self.base_dir, path) for year, path in self.benchmarks.national_schedules.items()})
        return dict(sorted(found.items()))

    @property
    def market_forces_factors_path(self) -> Path | None:
        """The CSV of market forces factors per provider ([benchmarks] market_forces_factors), if one is named."""
        named = self.benchmarks.market_forces_factors
        return resolve(self.base_dir, named) if named else None

    @property
    def los_trim_points_path(self) -> Path | None:
        """The CSV of national length-of-stay trim points ([benchmarks] los_trim_points), if one is named."""
        named = self.benchmarks.los_trim_points
        return resolve(self.base_dir, named) if named else None

    def service_line(self, name: str) -> ServiceLineSpec:
        """The [[service_lines]] entry called `name` (case does not matter), or an error listing the names."""
        for service in self.service_lines:
            if service.name.casefold() == name.strip().casefold():
                return service
        names = ", ".join(repr(s.name) for s in self.service_lines) or "none: add [[service_lines]] to the config"
        raise ConfigError(f"no service line called {name!r}; the service lines are: {names}")

    def commentary_path(self, service: ServiceLineSpec) -> Path | None:
        """The costing lead's commentary for a service line's pack (a Markdown file), if the config names one."""
        return resolve(self.base_dir, service.commentary) if service.commentary else None

    def pseudonym_key(self) -> bytes | None:
        """The key for patient pseudonyms, from the environment variable the config names (never from a file)."""
        value = os.environ.get(self.pseudonymisation.key_env)
        return value.encode("utf-8") if value else None

    def column_mapping(self, spec: SourceSpec) -> dict[str, str]:
        """Canonical column name -> local header for one extract (empty when headers are canonical)."""
        return dict(self.mappings.get(spec.mapping, {})) if spec.mapping else {}

    def extract_for(self, path: Path) -> tuple[ExtractSpec, dict[str, str]]:
        """The first [[extracts]] entry whose pattern matches the file name, and the values its placeholders caught."""
        for spec in self.extracts:
            match = spec.pattern_regex().match(path.name)
            if match:
                return spec, {k: v for k, v in match.groupdict().items() if v is not None}
        patterns = ", ".join(repr(s.pattern) for s in self.extracts) or "none defined"
        raise ConfigError(
            f"{path.name}: no [[extracts]] pattern in the config matches this file name (patterns: {patterns}). "
            "Add an [[extracts]] entry for it, or rename the file to fit one."
        )

    def server_table_for(self, name: str) -> tuple[ServerTableSpec, dict[str, str]] | None:
        """The first [[server.tables]] entry whose pattern matches `schema.table`, or None: a server holds many tables
        that are not the trusts' extracts, so an unmatched table is not an error."""
        for spec in self.server.tables if self.server else ():
            match = spec.pattern_regex().match(name)
            if match:
                return spec, {k: v for k, v in match.groupdict().items() if v is not None}
        return None


def resolve(base: Path, value: str) -> Path:
    path = Path(os.path.expandvars(value)).expanduser()
    return path if path.is_absolute() else base / path


def parse(text: str, *, source: str, base_dir: Path) -> IcsConfig:
    """Parse config text; errors name the key, the problem and the allowed values."""
    try:
        raw: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from exc
    try:
        config = IcsConfig.model_validate({**raw, "base_dir": base_dir})
    except ValidationError as exc:
        raise ConfigError(f"{source}: " + "; ".join(_describe(e) for e in exc.errors())) from exc
    return config


def load(path: Path) -> IcsConfig:
    """Read and check the ICS config file."""
    if not path.exists():
        raise ConfigError(f"{path}: no such config file. Run `icsbench init {path}` to write a commented example.")
    if path.is_dir():
        raise ConfigError(f"{path}: is a folder, not a config file; give the path of the ics.toml file")
    return parse(decode(path.read_bytes(), source=str(path)), source=str(path), base_dir=path.resolve().parent)


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode(data: bytes, *, source: str) -> str:
    """The config's text: UTF-8 (with or without a byte order mark), or UTF-16 / UTF-32 as Notepad and PowerShell
    save it; anything else is an error that says how to save the file."""
    encoding = next((name for bom, name in _BOMS if data.startswith(bom)), None)
    if encoding is None and b"\0" in data[:400]:
        encoding = _utf16_without_bom(data[:400])
        if encoding is None:
            raise ConfigError(f"{source}: cannot be read as text (it holds binary data). {_SAVE_AS_TEXT}")
    try:
        return data.decode(encoding or "utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{source}: cannot be read as text (byte {exc.start + 1} is not {encoding or 'UTF-8'}). {_SAVE_AS_TEXT}"
        ) from None


_SAVE_AS_TEXT = "Open it in a text editor and save it as UTF-8 (in Notepad: Save As, Encoding: UTF-8)."


def _utf16_without_bom(head: bytes) -> str | None:
    """utf-16-le or utf-16-be when nearly every other byte is zero (text in UTF-16 with no byte order mark)."""
    for zeros, encoding in ((head[1::2], "utf-16-le"), (head[0::2], "utf-16-be")):
        if zeros and zeros.count(0) >= len(zeros) * 0.9:
            return encoding
    return None


def _describe(error: Any) -> str:
    location = _key_path(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(error["loc"][:-1])
        return f"{location}: unknown option" + (f"; allowed: {', '.join(allowed)}" if allowed else "")
    if kind == "missing":
        return f"{location}: required but missing"
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        return f"{location}: {error['input']!r} is not allowed; allowed: {expected}"
    if kind == "string_pattern_mismatch":
        return f"{location}: {error['input']!r} does not have the expected form ({error['ctx']['pattern']})"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{location}: {message}" if location else message


def _key_path(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts[-1] = f"{parts[-1]}[{item + 1}]" if parts else f"[{item + 1}]"
        else:
            parts.append(str(item))
    return ".".join(parts)


def _allowed_keys(parent: tuple[Any, ...]) -> list[str]:
    model: Any = IcsConfig
    for item in parent:
        if isinstance(item, int):
            continue
        field = model.model_fields.get(item)
        if field is None:
            return []
        annotation = field.annotation
        inner = get_args(annotation)
        candidates = [annotation, *inner]
        model = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
        if model is None:
            return []
    return [name for name in model.model_fields if name != "base_dir"]
