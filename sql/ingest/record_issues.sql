-- Copy the issues found on a staged file into load_issues: one row per problem, rejected rows and warnings alike.
-- Grain: one row per (file row, issue). Inputs: the temp tables `stage` (__row, key columns, __issues) and
-- `stage_extra` (record-level issues); parameters $load_id and $file_name. Columns: load_id, file_name, row
-- (spreadsheet row), the row's provider, year and period where readable, check, column, severity, reason, value
-- (as read; withheld for NHS numbers and pseudonyms). Value and reason pass through icsb_masked, so a number that
-- passes the NHS number check, in whatever column it was sent, is masked before it is written here.
INSERT INTO load_issues
SELECT $load_id, $file_name, __row, org_code, fin_year, period,
       issue."check", issue."column", issue.severity, icsb_masked(issue.reason), icsb_masked(issue.value)
FROM (SELECT __row, org_code, fin_year, period, unnest(__issues) AS issue FROM stage WHERE __issues IS NOT NULL);

INSERT INTO load_issues
SELECT $load_id, $file_name, e.__row, s.org_code, s.fin_year, s.period,
       e.issue."check", e.issue."column", e.issue.severity, icsb_masked(e.issue.reason), icsb_masked(e.issue.value)
FROM stage_extra AS e
JOIN stage AS s USING (__row);

UPDATE stage SET __rejected = TRUE
WHERE __row IN (SELECT __row FROM stage_extra WHERE issue.severity = 'rejected');
