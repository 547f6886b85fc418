-- Record checks for staged cost lines: every line must belong to a loaded activity record.
-- Grain: the temp table `stage` (cost lines), one row per file row. Inputs: stage, activity. Parameter $setting.
-- Lines without their record are rejected (they could not be placed in a POD or HRG); a line without year or period
-- takes them from its record.
CREATE OR REPLACE TEMP TABLE stage AS
SELECT s.* REPLACE (
    coalesce(s.fin_year, a.fin_year) AS fin_year,
    coalesce(s.period, a.period) AS period,
    list_concat(
        s.__issues,
        CASE WHEN s.record_id IS NOT NULL AND s.org_code IS NOT NULL AND a.record_id IS NULL THEN [{
            'check': 'no_activity_record', 'column': 'record_id', 'severity': 'rejected',
            'reason': 'no ' || $setting || ' activity record ' || s.record_id || ' is loaded for ' || s.org_code
                || '; load the activity file for this period first, or fix the record id',
            'value': s.record_id}] ELSE [] END
    ) AS __issues
)
FROM stage AS s
LEFT JOIN (SELECT org_code, record_id, fin_year, period FROM activity WHERE setting = $setting) AS a
    ON a.org_code = s.org_code AND a.record_id = s.record_id;
