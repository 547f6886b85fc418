-- Link checks for staged critical care periods: each should belong to an admitted patient care episode.
-- Grain: adds one warning to `stage_extra` per period whose episode is not loaded. Inputs: stage, activity.
-- Such a period still loads (its cost is real) but cannot count towards critical care days per spell until the APC
-- file loads.
INSERT INTO stage_extra
SELECT s.__row, {
    'check': 'cc_admission_not_loaded', 'column': 'apc_record_id', 'severity': 'warning',
    'reason': 'critical care period links to admitted care episode ' || s.apc_record_id
        || ', which is not loaded for this provider; load the APC extract first',
    'value': s.apc_record_id}
FROM stage AS s
WHERE s.apc_record_id IS NOT NULL
  AND NOT EXISTS (
      SELECT 1 FROM activity AS a
      WHERE a.setting = 'apc' AND a.org_code = s.org_code AND a.record_id = s.apc_record_id
  );
