-- Inputs every metric reads besides the store's own tables, rebuilt at the start of each refresh.
-- results.refresh_settings: one row; the refresh id and the choices the metrics use (from the ICS config):
--   best_in_system_min_cases (a provider needs more cases than this to set the best in system), wau_unit_cost
--   (pounds per weighted activity unit) and the funnel-plot z values for 95% and 99.8% limits.
-- ref_pod: one row per point of delivery; its setting, name, the national schedule department its unit costs come
--   from, and the national unit (record, or bed_day where the schedule prices a day: critical care).
-- ref_cost_driver: one row per cost driver (collection activity): its code and name.
-- Inputs: the registered Arrow tables settings_row, pod_rows and driver_rows.
CREATE SCHEMA IF NOT EXISTS results;

CREATE SCHEMA IF NOT EXISTS published;

CREATE OR REPLACE TABLE results.refresh_settings AS
SELECT CAST(refresh_id AS BIGINT) AS refresh_id,
       CAST(refreshed_at AS TIMESTAMP) AS refreshed_at,
       CAST(best_in_system_min_cases AS INTEGER) AS best_in_system_min_cases,
       CAST(wau_unit_cost AS DOUBLE) AS wau_unit_cost,
       CAST(funnel_z_95 AS DOUBLE) AS funnel_z_95,
       CAST(funnel_z_99_8 AS DOUBLE) AS funnel_z_99_8
FROM settings_row;

CREATE OR REPLACE TABLE ref_pod AS
SELECT setting, pod, pod_name, national_department, national_unit
FROM pod_rows;

CREATE OR REPLACE TABLE ref_cost_driver AS
SELECT cost_driver, cost_driver_name
FROM driver_rows;
