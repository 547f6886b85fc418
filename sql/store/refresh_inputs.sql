-- Inputs every metric reads besides the store's own tables, rebuilt at the start of each refresh.
-- results.refresh_parameters: one row; the refresh id and the choices the metrics use (from the ICS config):
--   best_in_system_min_cases (a provider needs more cases than this to set the best in system), headline_min_cases
--   (a cell needs at least this many cases to count in a headline total), wau_unit_cost (pounds of national cost per
--   weighted activity unit, for years without a constant of their own), the funnel-plot z values for 95% and 99.8%
--   limits and the one that makes an opportunity "significant", overdispersion_winsorise (the share of z-scores
--   winsorised at each end before overdispersion is estimated), population_scale (the share of the reference
--   population the data stands for: 1 for real data, the scale for synthetic data) and pool_common_periods (1 when
--   [benchmarks] pool_periods = "common": a year's benchmarks pool only the months every provider loaded).
-- ref_pod: one row per point of delivery; its setting, name, the national schedule department its unit costs come
--   from, and its unit of count (episode, attendance, contact, bed_day or critical_care_day; engine/codes.py), the
--   unit every comparison of the POD is made in, the national one included; units_per_record 1 when each record is
--   one unit (else the record's days are); service_code_field, the record field the national schedule splits the
--   POD's prices by (tfc, department_type); non_consultant_department, where a clinic not led by a consultant is
--   priced; admission_type (elective, non_elective) for admitted care.
-- ref_los_trim_point: national length-of-stay trim points in days per HRG and admission type, if supplied.
-- ref_national_schedule: one row per year, department, service code ('' where the schedule has none) and currency
--   of each configured national schedule; activity in the POD's unit of count, unit_cost = national average.
-- ref_market_forces: one row per provider and year ('' = every year) with its market forces factor.
-- ref_wau_constant: one row per year with the pounds of national cost per weighted activity unit.
-- ref_cost_driver: one row per cost driver (collection activity): its code and name.
-- The population view ([population], [[long_term_conditions]] and [[pathways]] in the config):
-- ref_population_area: one row per district and area it counts in (area_type ics, place or district).
-- ref_gp_list_size: one row per GP practice with its registered patients (list size), if a list is given.
-- ref_condition_code: one row per long-term condition and code prefix; field diagnosis (primary diagnosis, ICD-10)
--   or service (service_code).
-- ref_pathway_step: one row per pathway, step and setting; step_order 0 is the index admission; window_kind index,
--   during (the index stay) or after (from_day to to_day days after the index discharge); same_provider 1 when the
--   step only counts the index provider; follow_up_days the pathway's longest window; code_fields how many code
--   filters the step sets (each must match).
-- ref_pathway_code: one row per pathway step, filter field (pod, diagnosis, hrg, tfc, service) and code prefix.
-- Service lines ([[service_lines]] in the config) and the costing data-quality checks (engine/codes.py):
-- ref_service_line: one row per service line, setting and POD it takes; position its place in the config;
--   code_fields how many code filters (hrg, tfc, diagnosis) it sets, each of which a record must match.
-- ref_service_line_code: one row per service line, code field (hrg, tfc, diagnosis) and code prefix.
-- ref_costing_check: one row per costing check with the range its measure should fall in (blank: no limit).
-- Inputs: the registered Arrow tables parameters_row, pod_rows, driver_rows, schedule_rows, mff_rows,
--   trim_point_rows, wau_constant_rows, area_rows, list_size_rows, condition_rows, pathway_step_rows, pathway_code_rows,
--   service_line_rows, service_line_code_rows and costing_check_rows.
CREATE SCHEMA IF NOT EXISTS results;

CREATE SCHEMA IF NOT EXISTS published;

-- Called refresh_settings before version 0.2 (a "setting" is a care setting); a store refreshed then still has it.
DROP TABLE IF EXISTS results.refresh_settings;

CREATE OR REPLACE TABLE results.refresh_parameters AS
SELECT CAST(refresh_id AS BIGINT) AS refresh_id,
       CAST(refreshed_at AS TIMESTAMP) AS refreshed_at,
       CAST(best_in_system_min_cases AS INTEGER) AS best_in_system_min_cases,
       CAST(headline_min_cases AS INTEGER) AS headline_min_cases,
       CAST(wau_unit_cost AS DOUBLE) AS wau_unit_cost,
       CAST(funnel_z_95 AS DOUBLE) AS funnel_z_95,
       CAST(funnel_z_99_8 AS DOUBLE) AS funnel_z_99_8,
       CAST(funnel_z_significant AS DOUBLE) AS funnel_z_significant,
       CAST(overdispersion_winsorise AS DOUBLE) AS overdispersion_winsorise,
       CAST(population_scale AS DOUBLE) AS population_scale,
       CAST(pool_common_periods AS INTEGER) AS pool_common_periods
FROM parameters_row;

CREATE OR REPLACE TABLE ref_pod AS
SELECT setting, pod, pod_name, national_department, unit_of_count, unit_name, unit_plural,
       CAST(units_per_record AS INTEGER) AS units_per_record, service_code_field, non_consultant_department,
       admission_type
FROM pod_rows;

CREATE OR REPLACE TABLE ref_national_schedule AS
SELECT fin_year, department, service_code, currency, description,
       CAST(activity AS DOUBLE) AS activity,
       CAST(unit_cost AS DOUBLE) AS unit_cost,
       CAST(total_cost AS DOUBLE) AS total_cost
FROM schedule_rows;

CREATE OR REPLACE TABLE ref_market_forces AS
SELECT org_code, fin_year, CAST(mff AS DOUBLE) AS mff
FROM mff_rows;

CREATE OR REPLACE TABLE ref_los_trim_point AS
SELECT hrg, admission_type, CAST(trim_point AS DOUBLE) AS trim_point
FROM trim_point_rows;

CREATE OR REPLACE TABLE ref_wau_constant AS
SELECT fin_year, CAST(wau_constant AS DOUBLE) AS wau_constant
FROM wau_constant_rows;

CREATE OR REPLACE TABLE ref_cost_driver AS
SELECT cost_driver, cost_driver_name
FROM driver_rows;

CREATE OR REPLACE TABLE ref_population_area AS
SELECT district, area_type, area
FROM area_rows;

CREATE OR REPLACE TABLE ref_gp_list_size AS
SELECT gp_practice, CAST(registered_patients AS BIGINT) AS registered_patients
FROM list_size_rows;

CREATE OR REPLACE TABLE ref_condition_code AS
SELECT condition, condition_label, field, code_prefix
FROM condition_rows;

CREATE OR REPLACE TABLE ref_pathway_step AS
SELECT pathway, pathway_label, step, CAST(step_order AS INTEGER) AS step_order, setting, window_kind,
       CAST(from_day AS INTEGER) AS from_day, CAST(to_day AS INTEGER) AS to_day,
       CAST(same_provider AS INTEGER) AS same_provider, CAST(follow_up_days AS INTEGER) AS follow_up_days,
       CAST(code_fields AS INTEGER) AS code_fields
FROM pathway_step_rows;

CREATE OR REPLACE TABLE ref_pathway_code AS
SELECT pathway, step, field, code_prefix
FROM pathway_code_rows;

CREATE OR REPLACE TABLE ref_service_line AS
SELECT service_line, CAST(position AS INTEGER) AS position, setting, pod, CAST(code_fields AS INTEGER) AS code_fields
FROM service_line_rows;

CREATE OR REPLACE TABLE ref_service_line_code AS
SELECT service_line, field, code_prefix
FROM service_line_code_rows;

CREATE OR REPLACE TABLE ref_costing_check AS
SELECT check_code, check_name, CAST(position AS INTEGER) AS position, CAST(lower_limit AS DOUBLE) AS lower_limit,
       CAST(upper_limit AS DOUBLE) AS upper_limit, explanation
FROM costing_check_rows;
