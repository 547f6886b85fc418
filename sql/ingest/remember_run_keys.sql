-- Remember the periods a file of this run wrote to one table, so later files of the run add to them (see
-- start_run.sql). Grain: one row per key of `stage_keys`. Parameters: $table_name (activity or cost_lines), $setting.
INSERT INTO run_keys
SELECT $table_name, $setting, org_code, fin_year, period
FROM stage_keys;
