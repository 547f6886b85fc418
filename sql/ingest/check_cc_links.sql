-- Link checks for staged critical care periods: each should belong to an admitted patient care episode.
-- Grain: the temp table `stage` (critical care), one row per file row; adds warnings to `__issues`.
-- Inputs: stage, activity (APC episodes already in the store). A period whose episode is not loaded still loads
-- (its cost is real) but is flagged: it cannot count towards critical care days per spell until the APC file loads.
CREATE OR REPLACE TEMP TABLE stage AS
SELECT s.* REPLACE (
    list_concat(
        s.__issues,
        CASE WHEN s.apc_record_id IS NOT NULL AND a.record_id IS NULL THEN [{
            'check': 'cc_admission_not_loaded', 'column': 'apc_record_id', 'severity': 'warning',
            'reason': 'critical care period links to admitted care episode ' || s.apc_record_id
                || ', which is not loaded for this provider; load the APC extract first',
            'value': s.apc_record_id}] ELSE [] END
    ) AS __issues
)
FROM stage AS s
LEFT JOIN (SELECT DISTINCT org_code, record_id FROM activity WHERE setting = 'apc') AS a
    ON a.org_code = s.org_code AND a.record_id = s.apc_record_id;
