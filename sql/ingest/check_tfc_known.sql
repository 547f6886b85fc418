-- Reference check for staged treatment function codes: each should be in the NHS Data Dictionary list (ref_tfc).
-- Grain: adds one warning to `stage_extra` per loading row whose code is well formed but not in the list.
-- Inputs: stage, ref_tfc. The record loads with its code as sent (a trust may use a code newer than the list); the
-- results name it "Treatment function <code> (not in the reference list)" (sql/metrics/dim_tfc.sql), and the warning
-- is counted in the data quality report.
INSERT INTO stage_extra
SELECT s.__row, {
    'check': 'tfc_not_in_reference_list', 'column': 'tfc', 'severity': 'warning',
    'reason': 'treatment function code ' || s.tfc || ' is not in the NHS Data Dictionary list icsbench holds '
        || '(engine/reference_data/treatment_functions.csv); loaded as sent, and named "Treatment function '
        || s.tfc || ' (not in the reference list)" in the results',
    'value': s.tfc}
FROM stage AS s
WHERE s.tfc IS NOT NULL
  AND NOT s.__rejected
  AND NOT EXISTS (SELECT 1 FROM ref_tfc AS r WHERE r.tfc = s.tfc);
