-- dim_year: the financial years the store holds, for a report's year slicer.
-- Grain: one row per financial year.
-- Inputs: event_costs
-- Published: yes
-- About: A dimension, not a measure: one row per year with activity or cost, so a Power BI year slicer filters
--   every table on one list. Nothing in it is about patients.
-- Columns:
--   fin_year [key] financial year, e.g. 2023/24
--   year_start [shown] the calendar year the financial year starts in, e.g. 2023 (to sort years)
--   refresh_id [shown] the refresh that wrote the row
SELECT fin_year,
       CAST(left(fin_year, 4) AS INTEGER) AS year_start,
       max(refresh_id) AS refresh_id
FROM event_costs
GROUP BY fin_year
