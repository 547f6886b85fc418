-- dim_tfc: the treatment function codes found in the data, for a report's TFC slicer.
-- Grain: one row per treatment function code (blank for settings without one).
-- Inputs: event_costs
-- Published: yes
-- About: A dimension, not a measure: a TFC slicer filters the tables that have a TFC (unit costs, cost drivers and
--   length of stay) through it.
-- Columns:
--   tfc [key] treatment function code; blank where the setting has none
--   refresh_id [shown] the refresh that wrote the row
SELECT tfc, max(refresh_id) AS refresh_id
FROM event_costs
GROUP BY tfc
