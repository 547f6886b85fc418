-- The canonical store (DuckDB). Created once per store file; every statement is idempotent.
-- Grain: activity = one row per patient event (provider, setting, record id); cost_lines = one row per cost line of
-- an event; loads = one row per file load; load_issues = one row per rejected row or warning, with its file, row and
-- column. Inputs: the ingest pipeline only. Money is DECIMAL(18,4) so totals add up exactly, to the penny.
-- Raw NHS numbers are never stored: patient_id is their keyed pseudonym, and a number found in any other column is
-- masked before it is written. Exports are logged beside the store (<store>-exports.csv), not in it.

CREATE TABLE IF NOT EXISTS meta (
    key   VARCHAR PRIMARY KEY,  -- setting name, e.g. schema_version
    value VARCHAR
);

CREATE TABLE IF NOT EXISTS providers (
    org_code VARCHAR PRIMARY KEY,  -- ODS code from the ICS config
    name     VARCHAR NOT NULL,     -- provider name as the config gives it
    type     VARCHAR NOT NULL      -- acute, mental_health, community, specialist or independent
);

CREATE TABLE IF NOT EXISTS activity (
    setting           VARCHAR NOT NULL,  -- apc, op, ec, cc, mh, chs
    org_code          VARCHAR NOT NULL,  -- provider ODS code
    fin_year          VARCHAR NOT NULL,  -- financial year, 2023/24
    period            INTEGER NOT NULL,  -- month of the financial year, 1 = April
    record_id         VARCHAR NOT NULL,  -- provider's event id, unique within provider and setting
    patient_id        VARCHAR,           -- keyed pseudonym of the NHS number
    age               INTEGER,           -- age in years
    sex               VARCHAR,           -- M, F or U
    lsoa              VARCHAR,           -- LSOA 2011 of residence
    gp_practice       VARCHAR,           -- registered GP practice
    pod               VARCHAR NOT NULL,  -- point of delivery
    tfc               VARCHAR,           -- treatment function code
    hrg               VARCHAR,           -- HRG or currency
    event_date        DATE,              -- start of the event
    end_date          DATE,              -- end of the event
    spell_id          VARCHAR,           -- APC: hospital provider spell
    episode_number    INTEGER,           -- APC: order of the episode in its spell
    admission_method  VARCHAR,           -- APC: admission method code
    admission_date    DATE,              -- APC: spell start
    discharge_date    DATE,              -- APC: spell end
    los               INTEGER,           -- APC: spell length of stay, days
    spell_hrg         VARCHAR,           -- APC: spell HRG
    primary_diagnosis VARCHAR,           -- APC: ICD-10 primary diagnosis
    face_to_face      BOOLEAN,           -- OP, MH, community: face to face or not
    department_type   VARCHAR,           -- EC: department type 01-05
    unit_type         VARCHAR,           -- CC: adult, paediatric or neonatal
    apc_record_id     VARCHAR,           -- CC: record id of the linked APC episode
    bed_days          DOUBLE,            -- CC and MH: bed days
    level_2_days      DOUBLE,            -- CC: days at level 2
    level_3_days      DOUBLE,            -- CC: days at level 3
    duration_minutes  DOUBLE,            -- MH and community: contact minutes
    service_code      VARCHAR,           -- MH and community: team or service
    load_id           BIGINT NOT NULL,   -- the load that wrote the row (loads.load_id)
    consultant_led    BOOLEAN            -- OP: consultant-led clinic or not (added after load_id, so stores made
                                         -- before it gain it by the ALTER below in the same place)
);

ALTER TABLE activity ADD COLUMN IF NOT EXISTS consultant_led BOOLEAN;

CREATE TABLE IF NOT EXISTS cost_lines (
    setting        VARCHAR NOT NULL,        -- setting of the event the line belongs to
    org_code       VARCHAR NOT NULL,        -- provider ODS code
    fin_year       VARCHAR NOT NULL,        -- financial year
    period         INTEGER NOT NULL,        -- month of the financial year
    record_id      VARCHAR NOT NULL,        -- the event (activity.record_id)
    cost_driver    VARCHAR NOT NULL,        -- collection activity: ward, theatre, imaging ...
    cost_resource  VARCHAR NOT NULL,        -- collection resource: consultant, nursing ...
    cost           DECIMAL(18, 4) NOT NULL, -- pounds
    activity_count DOUBLE,                  -- amount of activity_unit used
    activity_unit  VARCHAR,                 -- minutes, tests, bed days ...
    location       VARCHAR,                 -- ward code or department
    load_id        BIGINT NOT NULL          -- the load that wrote the line
);

CREATE SEQUENCE IF NOT EXISTS load_ids START 1;

CREATE TABLE IF NOT EXISTS loads (
    load_id          BIGINT PRIMARY KEY,  -- one per file load
    file_name        VARCHAR NOT NULL,    -- file name as given
    file_path        VARCHAR NOT NULL,    -- absolute path when loaded
    file_bytes       BIGINT,              -- size of the file
    file_format      VARCHAR,             -- csv, xlsx or parquet
    encoding         VARCHAR,             -- text encoding read (CSV)
    layout           VARCHAR,             -- activity, cost_lines or wide
    setting          VARCHAR,             -- setting of the extract
    started_at       TIMESTAMP,           -- when the load started (UTC)
    finished_at      TIMESTAMP,           -- when it committed (UTC)
    status           VARCHAR NOT NULL,    -- running, loaded, loaded_with_rejections, empty, skipped, failed, interrupted
    periods          VARCHAR,             -- provider / year / periods the file replaced
    rows_read        BIGINT,              -- data rows in the file
    rows_loaded      BIGINT,              -- rows that reached the store (activity rows + cost lines)
    rows_rejected    BIGINT,              -- rows sent to quarantine
    warnings         BIGINT,              -- warnings on loaded rows
    cost_loaded      DECIMAL(18, 4),      -- cost of the loaded cost lines
    cost_rejected    DECIMAL(18, 4),      -- readable cost of rejected lines
    control_total    DECIMAL(18, 4),      -- expected total cost, when one was supplied
    control_status   VARCHAR,             -- matched, differs, or none supplied
    replaced_rows    BIGINT,              -- rows of an earlier load this load replaced
    ignored_columns  VARCHAR,             -- columns in the file the mapping does not use (NHS numbers masked)
    message          VARCHAR              -- a sentence for people (NHS numbers masked)
);

CREATE TABLE IF NOT EXISTS load_issues (
    load_id   BIGINT NOT NULL,   -- the load (loads.load_id)
    file_name VARCHAR NOT NULL,  -- file the row came from
    "row"     BIGINT,            -- row as a spreadsheet shows it (header = 1); record number for Parquet
    org_code  VARCHAR,           -- provider of the row, where it could be read
    fin_year  VARCHAR,           -- financial year of the row, where it could be read
    period    INTEGER,           -- period of the row, where it could be read
    "check"   VARCHAR NOT NULL,  -- which check: invalid_value, duplicate_record_id, no_activity_record ...
    "column"  VARCHAR,           -- canonical column, or the file's header where that is clearer
    severity  VARCHAR NOT NULL,  -- rejected (row quarantined) or warning (row loaded, value blanked or noted)
    reason    VARCHAR NOT NULL,  -- what is wrong and how to fix it
    value     VARCHAR            -- the value as read (NHS numbers masked; withheld for NHS numbers and pseudonyms)
);

CREATE OR REPLACE VIEW quarantine AS
SELECT load_id, file_name, "row", org_code, fin_year, period, "check", "column", reason, value
FROM load_issues
WHERE severity = 'rejected';

CREATE SEQUENCE IF NOT EXISTS refresh_ids START 1;

CREATE TABLE IF NOT EXISTS refresh_log (
    refresh_id     BIGINT PRIMARY KEY,  -- carried by every row of every result table it wrote
    started_at     TIMESTAMP NOT NULL,  -- when the refresh started (UTC)
    finished_at    TIMESTAMP,           -- when it committed or failed (UTC)
    status         VARCHAR NOT NULL,    -- running, succeeded, failed or interrupted (either leaves the last good results)
    config_file    VARCHAR,             -- the ICS config used
    config_sha256  VARCHAR,             -- fingerprint of that config's contents
    settings       VARCHAR,             -- the benchmark and suppression choices used (JSON)
    loads          VARCHAR,             -- the data used: last load id and files held (JSON)
    cost_loaded    DECIMAL(18, 4),      -- total cost in the store when the refresh ran
    tables         VARCHAR,             -- per result table: rows, seconds and total cost where it has one (JSON)
    message        VARCHAR,             -- a sentence for people; the error when it failed
    inputs_sha256  VARCHAR              -- fingerprint of everything it computed from (engine.metrics.fingerprint);
                                        -- NULL when pulled from the server or run on Spark (added after message,
                                        -- so stores made before it gain it by the ALTER below)
);

ALTER TABLE refresh_log ADD COLUMN IF NOT EXISTS inputs_sha256 VARCHAR;
