-- Record checks for staged activity rows: a record id may appear once per provider and setting.
-- Grain: adds one row to `stage_extra` (__row, issue) per problem found. Inputs: stage, stage_keys, run_keys (the
-- periods earlier files of this load run wrote), activity and loads (the store). Parameter $setting. A repeat within
-- the file is rejected (the first occurrence loads); a record id the store already holds for a period this file does
-- not replace is rejected too (it would be counted twice), and so is one an earlier file of the same run loaded for a
-- period both files hold (a period sent as two files keeps both, so a record in both would count twice).
CREATE OR REPLACE TEMP TABLE stage_previous AS
SELECT a.org_code, a.record_id, min(a.fin_year || ' P' || a.period) AS held_for
FROM activity AS a
JOIN (SELECT DISTINCT org_code, record_id FROM stage WHERE record_id IS NOT NULL) AS s USING (org_code, record_id)
LEFT JOIN stage_keys AS k ON k.org_code = a.org_code AND k.fin_year = a.fin_year AND k.period = a.period
WHERE a.setting = $setting AND k.org_code IS NULL
GROUP BY a.org_code, a.record_id;

INSERT INTO stage_extra
SELECT s.__row, {
    'check': 'duplicate_record_id', 'column': 'record_id', 'severity': 'rejected',
    'reason': 'record id ' || s.record_id || ' appears more than once in this file (first at row '
        || d.first_row || '); only the first loads',
    'value': s.record_id}
FROM stage AS s
JOIN (
    SELECT org_code, record_id, min(__row) AS first_row
    FROM stage
    WHERE record_id IS NOT NULL AND org_code IS NOT NULL
    GROUP BY org_code, record_id
    HAVING count(*) > 1
) AS d ON d.org_code = s.org_code AND d.record_id = s.record_id AND d.first_row <> s.__row;

INSERT INTO stage_extra
SELECT s.__row, {
    'check': 'record_id_in_other_period', 'column': 'record_id', 'severity': 'rejected',
    'reason': 'record id ' || s.record_id || ' is already loaded for ' || p.held_for
        || '; record ids must be unique within a provider and setting (reload that period, or fix the id)',
    'value': s.record_id}
FROM stage AS s
JOIN stage_previous AS p ON p.org_code = s.org_code AND p.record_id = s.record_id;

INSERT INTO stage_extra
SELECT s.__row, {
    'check': 'duplicate_record_id', 'column': 'record_id', 'severity': 'rejected',
    'reason': 'record id ' || s.record_id || ' is also in ' || l.file_name || ', loaded just before for '
        || a.fin_year || ' P' || a.period || '; a period sent as several files loads them together, so a record must '
        || 'be in one of them only: the copy in this file was not loaded',
    'value': s.record_id}
FROM stage AS s
JOIN activity AS a ON a.setting = $setting AND a.org_code = s.org_code AND a.record_id = s.record_id
JOIN stage_keys AS k ON k.org_code = a.org_code AND k.fin_year = a.fin_year AND k.period = a.period
JOIN run_keys AS r
    ON r.table_name = 'activity' AND r.setting = $setting
   AND r.org_code = a.org_code AND r.fin_year = a.fin_year AND r.period = a.period
JOIN loads AS l ON l.load_id = a.load_id;
