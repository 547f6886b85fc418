-- Cost lines sent without financial year or period take them from the activity record they belong to.
-- Grain: rewrites the temp table `stage` (cost lines, one row per file row). Inputs: stage, activity; $setting.
CREATE OR REPLACE TEMP TABLE stage AS
SELECT s.* REPLACE (coalesce(s.fin_year, a.fin_year) AS fin_year, coalesce(s.period, a.period) AS period)
FROM stage AS s
LEFT JOIN (SELECT org_code, record_id, fin_year, period FROM activity WHERE setting = $setting) AS a
    ON a.org_code = s.org_code AND a.record_id = s.record_id;
