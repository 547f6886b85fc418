-- Reference tables, loaded once when a store is created from the open data bundled with the engine.
-- ref_national_schedule: grain one row per NCC department and currency (fin_year, department, currency);
--   activity = national activity, unit_cost = national average unit cost (total_cost / activity), total_cost in £.
-- ref_lsoa: grain one row per LSOA (2011); district (2019), IMD 2019 rank and decile (1 = most deprived 10%),
--   population = mid-2015 residents, and population_0_15, population_16_59, population_60_plus its age bands (the
--   bands the population rates are age-standardised over). Inputs: the registered Arrow tables schedule_rows and lsoa_rows.
CREATE TABLE ref_national_schedule AS
SELECT fin_year, department, currency, description,
       CAST(activity AS DOUBLE) AS activity,
       CAST(unit_cost AS DOUBLE) AS unit_cost,
       CAST(total_cost AS DOUBLE) AS total_cost
FROM schedule_rows;

CREATE TABLE ref_lsoa AS
SELECT lsoa, lsoa_name, district, CAST(imd_rank AS INTEGER) AS imd_rank,
       CAST(imd_decile AS INTEGER) AS imd_decile, CAST(population AS INTEGER) AS population,
       CAST(population_0_15 AS INTEGER) AS population_0_15,
       CAST(population_16_59 AS INTEGER) AS population_16_59,
       CAST(population_60_plus AS INTEGER) AS population_60_plus
FROM lsoa_rows;
