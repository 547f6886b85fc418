-- Record checks for staged cost lines: every line must belong to a loaded activity record.
-- Grain: adds one rejection to `stage_extra` per line whose record is not loaded. Inputs: stage, activity.
-- Parameter $setting. Such lines could not be placed in a POD or HRG, so they are quarantined.
INSERT INTO stage_extra
SELECT s.__row, {
    'check': 'no_activity_record', 'column': 'record_id', 'severity': 'rejected',
    'reason': 'no ' || $setting || ' activity record ' || s.record_id || ' is loaded for ' || s.org_code
        || '; load the activity file for this period first, or fix the record id',
    'value': s.record_id}
FROM stage AS s
WHERE s.record_id IS NOT NULL AND s.org_code IS NOT NULL
  AND NOT EXISTS (
      SELECT 1 FROM activity AS a
      WHERE a.setting = $setting AND a.org_code = s.org_code AND a.record_id = s.record_id
  );
