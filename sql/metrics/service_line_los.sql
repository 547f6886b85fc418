-- service_line_los: how long each service line's patients stay, by provider: spells by length-of-stay band.
-- Grain: one row per service line, financial year, provider and length-of-stay band.
-- Inputs: service_records, results.refresh_parameters
-- Published: yes
-- About: The distribution behind service_line_benchmark's mean length of stay: a mean can rise with a few very long
--   stays or with every stay a day longer, and the bands tell which. A spell counts once per provider and service
--   line in the year (the year of its latest episode in the service line), in the band of its length of stay; the
--   bands add up to the provider's spells. Admitted care only.
-- Columns:
--   service_line [key] service line name from the config
--   fin_year [key] financial year
--   org_code [key] provider ODS code
--   los_band [key] length of stay in days: 0, 1-2, 3-7, 8-14, 15-28 or 29+
--   band_order [shown] the band's place, 1 (0 days) to 6 (29 days or more)
--   spells [count] the provider's spells of the service line in the band
--   provider_spells [count] the provider's spells of the service line
--   share [from spells] spells / provider_spells
--   ics_spells [count] spells of the service line in the band across every provider
--   ics_share [from ics_spells] the ICS's share of spells in the band
--   refresh_id [shown] the refresh that wrote the row
WITH stays AS (
    SELECT service_line, org_code, spell_id, max(fin_year) AS fin_year, max(los) AS los
    FROM service_records
    WHERE setting = 'apc' AND los IS NOT NULL
    GROUP BY service_line, org_code, spell_id
),
banded AS (
    SELECT service_line, fin_year, org_code,
           CASE WHEN los = 0 THEN '0' WHEN los <= 2 THEN '1-2' WHEN los <= 7 THEN '3-7' WHEN los <= 14 THEN '8-14'
                WHEN los <= 28 THEN '15-28' ELSE '29+' END AS los_band,
           CASE WHEN los = 0 THEN 1 WHEN los <= 2 THEN 2 WHEN los <= 7 THEN 3 WHEN los <= 14 THEN 4
                WHEN los <= 28 THEN 5 ELSE 6 END AS band_order
    FROM stays
),
counted AS (
    SELECT service_line, fin_year, org_code, los_band, band_order, count(*) AS spells
    FROM banded
    GROUP BY service_line, fin_year, org_code, los_band, band_order
),
providers AS (
    SELECT service_line, fin_year, org_code, count(*) AS provider_spells
    FROM banded
    GROUP BY service_line, fin_year, org_code
),
ics AS (
    SELECT service_line, fin_year, los_band, count(*) AS ics_spells
    FROM banded
    GROUP BY service_line, fin_year, los_band
),
ics_totals AS (
    SELECT service_line, fin_year, count(*) AS ics_total
    FROM banded
    GROUP BY service_line, fin_year
)
SELECT c.service_line, c.fin_year, c.org_code, c.los_band, c.band_order, c.spells, p.provider_spells,
       CAST(c.spells AS DOUBLE) / NULLIF(p.provider_spells, 0) AS share, i.ics_spells,
       CAST(i.ics_spells AS DOUBLE) / NULLIF(t.ics_total, 0) AS ics_share, s.refresh_id
FROM counted AS c
JOIN providers AS p ON p.service_line = c.service_line AND p.fin_year = c.fin_year AND p.org_code = c.org_code
JOIN ics AS i ON i.service_line = c.service_line AND i.fin_year = c.fin_year AND i.los_band = c.los_band
JOIN ics_totals AS t ON t.service_line = c.service_line AND t.fin_year = c.fin_year
CROSS JOIN results.refresh_parameters AS s
