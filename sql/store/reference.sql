-- Reference tables, loaded from the open data bundled with the engine (engine/reference_data/, read and cleaned by
-- engine/reference.py) when a store is created, and again on open whenever that data or this file has changed. (The
-- national schedules are refresh inputs instead, sql/store/refresh_inputs.sql: they come from the config.)
-- ref_lsoa: grain one row per LSOA (2011); district (2019), IMD 2019 rank and decile (1 = most deprived 10%),
--   population = mid-2015 residents, and population_0_15, population_16_59, population_60_plus its age bands (the
--   bands the population rates are age-standardised over).
-- ref_hrg_chapter: grain one row per value the hrg_chapter column of the results can hold: each HRG4+ chapter
--   (chapter_kind hrg4_chapter: one capital letter, e.g. H, Musculoskeletal System), each group of currencies outside
--   HRG4+ (currency_group: mental_health, community, ...), none (no HRG or currency recorded) and other (a currency
--   that is neither an HRG4+ HRG nor in a currency group); hrg_chapter_name is its name.
-- ref_hrg_subchapter: grain one row per HRG4+ subchapter (the first two letters of an HRG, e.g. HT); its name, its
--   chapter, and name_source: listed (the published name) or derived (the chapter's name and the code: unconfirmed).
-- ref_currency_prefix: grain one row per code prefix of the currencies outside HRG4+ (MH, N0, WCE, ...); hrg_chapter
--   is the currency group a code starting with the prefix belongs to, covers says which currencies those are. No
--   prefix begins another. The rule that uses these tables is in sql/metrics/dim_hrg.sql.
-- ref_tfc: grain one row per treatment function code (three digits) with its NHS Data Dictionary name.
-- Inputs: the registered Arrow tables lsoa_rows, chapter_rows, subchapter_rows, prefix_rows, tfc_rows.
CREATE OR REPLACE TABLE ref_lsoa AS
SELECT lsoa, lsoa_name, district, CAST(imd_rank AS INTEGER) AS imd_rank,
       CAST(imd_decile AS INTEGER) AS imd_decile, CAST(population AS INTEGER) AS population,
       CAST(population_0_15 AS INTEGER) AS population_0_15,
       CAST(population_16_59 AS INTEGER) AS population_16_59,
       CAST(population_60_plus AS INTEGER) AS population_60_plus
FROM lsoa_rows;

CREATE OR REPLACE TABLE ref_hrg_chapter AS
SELECT hrg_chapter, hrg_chapter_name, chapter_kind
FROM chapter_rows;

CREATE OR REPLACE TABLE ref_hrg_subchapter AS
SELECT hrg_subchapter, hrg_subchapter_name, hrg_chapter, name_source
FROM subchapter_rows;

CREATE OR REPLACE TABLE ref_currency_prefix AS
SELECT prefix, hrg_chapter, covers
FROM prefix_rows;

CREATE OR REPLACE TABLE ref_tfc AS
SELECT tfc, tfc_name
FROM tfc_rows;
