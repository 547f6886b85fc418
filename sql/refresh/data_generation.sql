-- What the canonical data a refresh reads has been through, in one cheap row, for the refresh's inputs fingerprint
-- (engine.metrics.fingerprint): every load that may have written or deleted rows (a replace of a period, a
-- deletion by an empty file, a corrected file), the rows held now, the providers and the reference data's own
-- fingerprint. Any load, deletion or reference-data change gives a different row; nothing else writes these tables
-- outside a load but the ICS SQL Server's pull, and a refresh that pulls records no fingerprint.
SELECT
    (SELECT coalesce(string_agg(load_id || ':' || status, ',' ORDER BY load_id), '')
     FROM loads WHERE status NOT IN ('running', 'failed', 'skipped')) AS loads,
    (SELECT count(*) FROM activity) AS activity_rows,
    (SELECT count(*) FROM cost_lines) AS cost_line_rows,
    (SELECT coalesce(string_agg(org_code || '|' || name || '|' || type, ',' ORDER BY org_code), '') FROM providers)
        AS providers,
    (SELECT coalesce(max(value), '') FROM meta WHERE key = 'reference_data') AS reference_data;
