-- The temp tables a load run keeps while it loads its files one by one (engine.ingest.run), emptied at its start.
-- run_keys: one row per (table_name, setting, org_code, fin_year, period) a file of this run wrote; a later file of
--   the run with the same key adds to it instead of replacing it, so a period sent as several files loads whole.
-- run_loads: the load ids of this run, whose issues a later file of the run never forgets as replaced.
CREATE OR REPLACE TEMP TABLE run_keys (
    table_name VARCHAR,
    setting    VARCHAR,
    org_code   VARCHAR,
    fin_year   VARCHAR,
    period     INTEGER
);

CREATE OR REPLACE TEMP TABLE run_loads (load_id BIGINT);
