-- Resident districts: where the loaded patients live, for an ICS that does not list its districts in [population].
-- Grain: one row per local authority district (2019) holding at least one patient's LSOA.
--   district  district name (IMD 2019)
--   share     the district's share of the different patients (by pseudonym) with a known LSOA
WITH residents AS (
    SELECT r.district, count(DISTINCT a.patient_id) AS patients
    FROM activity AS a
    JOIN ref_lsoa AS r ON r.lsoa = a.lsoa
    WHERE a.patient_id IS NOT NULL
    GROUP BY r.district
)
SELECT district, CAST(patients AS DOUBLE) / sum(patients) OVER () AS share
FROM residents
ORDER BY district;
