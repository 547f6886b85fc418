-- Reference tables, loaded once when a store is created from the open data bundled with the engine. (The national
-- schedules are refresh inputs instead, sql/store/refresh_inputs.sql: they come from the config.)
-- ref_lsoa: grain one row per LSOA (2011); district (2019), IMD 2019 rank and decile (1 = most deprived 10%),
--   population = mid-2015 residents, and population_0_15, population_16_59, population_60_plus its age bands (the
--   bands the population rates are age-standardised over). Inputs: the registered Arrow table lsoa_rows.
CREATE TABLE ref_lsoa AS
SELECT lsoa, lsoa_name, district, CAST(imd_rank AS INTEGER) AS imd_rank,
       CAST(imd_decile AS INTEGER) AS imd_decile, CAST(population AS INTEGER) AS population,
       CAST(population_0_15 AS INTEGER) AS population_0_15,
       CAST(population_16_59 AS INTEGER) AS population_16_59,
       CAST(population_60_plus AS INTEGER) AS population_60_plus
FROM lsoa_rows;
