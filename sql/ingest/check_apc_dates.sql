-- Date and length-of-stay checks for staged admitted patient care episodes.
-- Grain: rewrites the temp table `stage` (APC, one row per file row) and adds warnings to `stage_extra`.
-- A spell that ends before it starts keeps neither date (warning); a length of stay that disagrees with the dates is
-- replaced by the dates' difference (warning); a blank length of stay is worked out from the dates; an episode that
-- ends before it starts loses its end date (warning).
CREATE OR REPLACE TEMP TABLE stage_dates AS
SELECT __row,
    admission_date IS NOT NULL AND discharge_date IS NOT NULL AND discharge_date < admission_date AS dates_reversed,
    CASE WHEN admission_date IS NOT NULL AND discharge_date IS NOT NULL AND discharge_date >= admission_date
         THEN CAST(date_diff('day', admission_date, discharge_date) AS INTEGER) END AS los_from_dates,
    event_date IS NOT NULL AND end_date IS NOT NULL AND end_date < event_date AS episode_reversed,
    admission_date, discharge_date, los, end_date
FROM stage;

INSERT INTO stage_extra
SELECT __row, {
    'check': 'dates_reversed', 'column': 'discharge_date', 'severity': 'warning',
    'reason': 'discharge date ' || strftime(discharge_date, '%d/%m/%Y') || ' is before admission date '
        || strftime(admission_date, '%d/%m/%Y') || '; both dates and the length of stay were left blank',
    'value': strftime(discharge_date, '%Y-%m-%d')}
FROM stage_dates WHERE dates_reversed;

INSERT INTO stage_extra
SELECT __row, {
    'check': 'los_mismatch', 'column': 'los', 'severity': 'warning',
    'reason': 'length of stay ' || los || ' does not match the admission and discharge dates ('
        || los_from_dates || ' days); the dates were used',
    'value': CAST(los AS VARCHAR)}
FROM stage_dates WHERE los IS NOT NULL AND los_from_dates IS NOT NULL AND los <> los_from_dates;

INSERT INTO stage_extra
SELECT __row, {
    'check': 'episode_dates_reversed', 'column': 'end_date', 'severity': 'warning',
    'reason': 'episode end date is before its start date; the end date was left blank',
    'value': strftime(end_date, '%Y-%m-%d')}
FROM stage_dates WHERE episode_reversed;

CREATE OR REPLACE TEMP TABLE stage AS
SELECT s.* REPLACE (
    CASE WHEN d.dates_reversed THEN NULL ELSE s.admission_date END AS admission_date,
    CASE WHEN d.dates_reversed THEN NULL ELSE s.discharge_date END AS discharge_date,
    CASE WHEN d.dates_reversed THEN NULL ELSE coalesce(d.los_from_dates, s.los) END AS los,
    CASE WHEN d.episode_reversed THEN NULL ELSE s.end_date END AS end_date
)
FROM stage AS s
JOIN stage_dates AS d USING (__row);

DROP TABLE stage_dates;
