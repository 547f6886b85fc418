-- dim_provider: the ICS's providers, for a report's provider slicer.
-- Grain: one row per provider ODS code (every provider in the config, and any code found in the data without one).
-- Inputs: event_costs, providers, results.refresh_parameters
-- Published: yes
-- About: A dimension, not a measure: a Power BI provider slicer filters every table through it. A code found in the
--   loaded data but missing from the config is listed with its code as its name, so no row falls out of a slicer.
-- Columns:
--   org_code [key] provider ODS code
--   provider_name [key] provider name from the ICS config
--   provider_type [key] acute, mental_health, community, specialist or independent; unknown when not configured
--   refresh_id [shown] the refresh that wrote the row
WITH codes AS (
    SELECT org_code FROM providers
    UNION
    SELECT DISTINCT org_code FROM event_costs
)
SELECT c.org_code,
       coalesce(p.name, c.org_code) AS provider_name,
       coalesce(p.type, 'unknown') AS provider_type,
       s.refresh_id
FROM codes AS c
LEFT JOIN providers AS p ON p.org_code = c.org_code
CROSS JOIN results.refresh_parameters AS s
