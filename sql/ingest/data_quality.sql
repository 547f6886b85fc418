-- data_quality: how far each provider's data for each period can be trusted, rebuilt after every load.
-- Grain: one row per (org_code, setting, fin_year, period) held in the store.
-- Inputs: activity, cost_lines, load_issues, loads (the store).
--   records              activity records loaded
--   records_with_patient share of records carrying a patient pseudonym (linkage across providers needs it)
--   cost_lines           cost lines loaded
--   cost_loaded          total cost loaded, £ (exact)
--   negative_cost_lines  cost lines below zero (credits; loaded and counted here)
--   zero_cost_share      share of records with no cost, or costs adding to £0
--   missing_hrg_share    share of records with no valid HRG or currency
--   rows_rejected        file rows of this period sent to quarantine
--   warnings             warnings on rows of this period that loaded
--   control_total_status control-total checks of the files that hold this period's data
--   loaded_from          the files that hold this period's data
CREATE OR REPLACE TABLE data_quality AS
WITH record_cost AS (
    SELECT setting, org_code, record_id, sum(cost) AS cost
    FROM cost_lines
    GROUP BY setting, org_code, record_id
),
records AS (
    SELECT a.org_code, a.setting, a.fin_year, a.period,
           count(*) AS records,
           count(a.patient_id) AS with_patient,
           count(*) FILTER (WHERE coalesce(rc.cost, 0) = 0) AS zero_cost,
           count(*) FILTER (WHERE a.hrg IS NULL) AS missing_hrg,
           list_distinct(list(a.load_id)) AS load_ids
    FROM activity AS a
    LEFT JOIN record_cost AS rc USING (setting, org_code, record_id)
    GROUP BY a.org_code, a.setting, a.fin_year, a.period
),
lines AS (
    SELECT org_code, setting, fin_year, period,
           count(*) AS cost_lines,
           sum(cost) AS cost_loaded,
           count(*) FILTER (WHERE cost < 0) AS negative_cost_lines,
           list_distinct(list(load_id)) AS load_ids
    FROM cost_lines
    GROUP BY org_code, setting, fin_year, period
),
keys AS (
    SELECT org_code, setting, fin_year, period FROM records
    UNION
    SELECT org_code, setting, fin_year, period FROM lines
),
issues AS (
    SELECT i.org_code, l.setting, i.fin_year, i.period,
           count(DISTINCT i.load_id || ':' || i."row") FILTER (WHERE i.severity = 'rejected') AS rows_rejected,
           count(*) FILTER (WHERE i.severity = 'warning') AS warnings
    FROM load_issues AS i
    JOIN loads AS l USING (load_id)
    WHERE i.org_code IS NOT NULL AND i.period IS NOT NULL
    GROUP BY i.org_code, l.setting, i.fin_year, i.period
),
owners AS (
    SELECT k.org_code, k.setting, k.fin_year, k.period, unnest(list_concat(r.load_ids, c.load_ids)) AS load_id
    FROM keys AS k
    LEFT JOIN records AS r USING (org_code, setting, fin_year, period)
    LEFT JOIN lines AS c USING (org_code, setting, fin_year, period)
),
files AS (
    SELECT o.org_code, o.setting, o.fin_year, o.period,
           string_agg(DISTINCT l.file_name || ': ' || l.control_status, '; ' ORDER BY l.file_name || ': ' || l.control_status)
               AS control_total_status,
           string_agg(DISTINCT l.file_name, ', ' ORDER BY l.file_name) AS loaded_from
    FROM owners AS o
    JOIN loads AS l USING (load_id)
    GROUP BY o.org_code, o.setting, o.fin_year, o.period
)
SELECT k.org_code, k.setting, k.fin_year, k.period,
       coalesce(r.records, 0) AS records,
       CASE WHEN r.records > 0 THEN r.with_patient / r.records END AS records_with_patient,
       coalesce(c.cost_lines, 0) AS cost_lines,
       coalesce(c.cost_loaded, 0) AS cost_loaded,
       coalesce(c.negative_cost_lines, 0) AS negative_cost_lines,
       CASE WHEN r.records > 0 THEN r.zero_cost / r.records END AS zero_cost_share,
       CASE WHEN r.records > 0 THEN r.missing_hrg / r.records END AS missing_hrg_share,
       coalesce(i.rows_rejected, 0) AS rows_rejected,
       coalesce(i.warnings, 0) AS warnings,
       f.control_total_status,
       f.loaded_from
FROM keys AS k
LEFT JOIN records AS r USING (org_code, setting, fin_year, period)
LEFT JOIN lines AS c USING (org_code, setting, fin_year, period)
LEFT JOIN issues AS i USING (org_code, setting, fin_year, period)
LEFT JOIN files AS f USING (org_code, setting, fin_year, period)
ORDER BY k.org_code, k.setting, k.fin_year, k.period;

-- data_quality_issues: rejected rows and warnings by reason, per provider, setting and period.
-- Grain: one row per (org_code, setting, fin_year, period, severity, check, column).
--   rows: how many rows had this issue; example: one reason as recorded, to show what it means.
CREATE OR REPLACE TABLE data_quality_issues AS
SELECT i.org_code, l.setting, i.fin_year, i.period, i.severity, i."check", i."column",
       count(*) AS "rows", min(i.reason) AS example
FROM load_issues AS i
JOIN loads AS l USING (load_id)
GROUP BY i.org_code, l.setting, i.fin_year, i.period, i.severity, i."check", i."column"
ORDER BY i.org_code, l.setting, i.fin_year, i.period, i.severity, i."check", i."column";
