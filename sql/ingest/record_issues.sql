-- Copy the issues found on a staged file into load_issues: one row per problem, rejected rows and warnings alike.
-- Grain: one row per (file row, issue). Inputs: the temp table `stage` (__row, key columns, __issues); parameters
-- $load_id and $file_name. Columns: load_id, file_name, row (spreadsheet row), the row's provider, year and period
-- where readable, check (short code), column, severity, reason, value (as read; withheld for NHS numbers).
INSERT INTO load_issues
SELECT $load_id, $file_name, __row, org_code, fin_year, period,
       issue."check", issue."column", issue.severity, issue.reason, issue.value
FROM (SELECT __row, org_code, fin_year, period, unnest(__issues) AS issue FROM stage WHERE len(__issues) > 0);
