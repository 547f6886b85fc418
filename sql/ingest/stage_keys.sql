-- stage_keys: the provider / year / period keys a staged file covers, so a reload replaces exactly those.
-- Grain: one row per (org_code, fin_year, period). Input: the temp table `stage` (one row per file row).
--   org_code, fin_year, period: a key present on at least one row whose key columns were readable.
CREATE OR REPLACE TEMP TABLE stage_keys AS
SELECT DISTINCT org_code, fin_year, period
FROM stage
WHERE org_code IS NOT NULL AND fin_year IS NOT NULL AND period IS NOT NULL;
