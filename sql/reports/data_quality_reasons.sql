-- data_quality_reasons: rejected rows and warnings by reason over every period, for `icsbench quality`.
-- Grain: one row per (org_code, setting, severity, check, column). Input: data_quality_issues.
-- Parameter $provider (or NULL for all; rows whose provider could not be read always show).
--   rows: how many rows had the issue; example: one reason as recorded.
SELECT org_code, setting, severity, "check", "column", sum("rows") AS "rows", min(example) AS example
FROM data_quality_issues
WHERE $provider IS NULL OR org_code = $provider OR org_code IS NULL
GROUP BY org_code, setting, severity, "check", "column"
ORDER BY org_code, setting, severity, "check", "column";
