-- Parsing macros for ingest (DuckDB). Not a result table: the functions every extract column is cleaned with.
-- Input: one raw value as the file had it (text for CSV and XLSX, typed for Parquet).
-- Output: the canonical value, or NULL when the text cannot be read as that type; ingest records the reason.
--   icsb_text(x)      text without surrounding spaces, tabs or line breaks; NULL when blank
--   icsb_code(x)      upper-case code; 110.0 (a number Excel stored) reads as 110
--   icsb_money(x, comma)    pounds as DECIMAL(18,4): reads £1,234.50, (123.00) as -123.00, -£5 and £-5
--   icsb_number(x, comma)   a number
--   icsb_integer(x, comma)  a whole number (110.0 is 110; 1.5 is NULL)
--   icsb_whole(x)           the same for a value typed as a number already (Parquet): no text, no pattern
--     Numbers are read strictly, so a number written another way is never read as a different one: commas only
--     between groups of three digits before a decimal point (1,234.50; not 1,5 or 1.234,50). With comma = true
--     (the extract's number_format = "1.234,56") the other way round: 1.234,50 and 1 234,50 are 1234.50.
--   icsb_date(x)      a date from yyyy-mm-dd, dd/mm/yyyy, dd-mm-yyyy, dd.mm.yyyy, yyyymmdd, optional time part
--   icsb_flag(x)      Y/N, yes/no, true/false, 1/0 as BOOLEAN
--   icsb_fin_year(x)  financial year as 2023/24 from 2023/24, 2023-24, 202324, 2023/2024 (second year = first + 1)
--   icsb_spelling(x)  folded spelling used to look codes up in code_synonyms (DAY CASE, day-case -> DAY_CASE)
-- Trimming with a set of characters costs several times a test of the first and last character, and nearly every
-- value has nothing to trim: so trim only values that start or end with a character at or below a space.
CREATE OR REPLACE TEMP MACRO icsb_trimmed(t) AS
    CASE WHEN ascii(t) <= 32 OR ascii(reverse(t)) <= 32 THEN trim(t, ' ' || chr(9) || chr(10) || chr(13)) ELSE t END;

CREATE OR REPLACE TEMP MACRO icsb_text(x) AS
    NULLIF(icsb_trimmed(CAST(x AS VARCHAR)), '');

CREATE OR REPLACE TEMP MACRO icsb_code(x) AS
    regexp_replace(upper(icsb_text(x)), '^([0-9]+)\.0+$', '\1');

CREATE OR REPLACE TEMP MACRO icsb_point_decimal(t) AS
    CASE WHEN regexp_full_match(t, '[-+]?([0-9]+|[0-9]{1,3}(,[0-9]{3})+)(\.[0-9]*)?([eE][-+]?[0-9]+)?|[-+]?\.[0-9]+')
         THEN replace(t, ',', '') END;

CREATE OR REPLACE TEMP MACRO icsb_comma_decimal(t) AS
    CASE WHEN regexp_full_match(t, '[-+]?([0-9]+|[0-9]{1,3}(\.[0-9]{3})+)(,[0-9]*)?([eE][-+]?[0-9]+)?|[-+]?,[0-9]+')
         THEN replace(replace(t, '.', ''), ',', '.') END;

CREATE OR REPLACE TEMP MACRO icsb_decimal_text(t, comma) AS
    CASE WHEN comma THEN icsb_comma_decimal(t) ELSE icsb_point_decimal(t) END;

CREATE OR REPLACE TEMP MACRO icsb_money_text(t, comma) AS
    CASE
        WHEN t IS NULL THEN NULL
        WHEN regexp_full_match(t, '\(.*\)')
            THEN -TRY_CAST(icsb_decimal_text(regexp_replace(t, '[()£\s]', '', 'g'), comma) AS DECIMAL(18, 4))
        ELSE TRY_CAST(icsb_decimal_text(regexp_replace(t, '[£\s]', '', 'g'), comma) AS DECIMAL(18, 4))
    END;

CREATE OR REPLACE TEMP MACRO icsb_money(x, comma := false) AS icsb_money_text(icsb_text(x), comma);

CREATE OR REPLACE TEMP MACRO icsb_number(x, comma := false) AS
    TRY_CAST(icsb_decimal_text(regexp_replace(icsb_text(x), '\s', '', 'g'), comma) AS DOUBLE);

CREATE OR REPLACE TEMP MACRO icsb_integer(x, comma := false) AS
    CASE WHEN icsb_number(x, comma) = floor(icsb_number(x, comma)) AND abs(icsb_number(x, comma)) < 1e15
         THEN CAST(icsb_number(x, comma) AS BIGINT) END;

CREATE OR REPLACE TEMP MACRO icsb_whole(x) AS
    CASE WHEN CAST(x AS DOUBLE) = floor(CAST(x AS DOUBLE)) AND abs(CAST(x AS DOUBLE)) < 1e15
         THEN CAST(x AS BIGINT) END;

CREATE OR REPLACE TEMP MACRO icsb_date(x) AS
    CAST(TRY_STRPTIME(
        regexp_replace(icsb_text(x), '[T ][0-9]{1,2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?$', ''),
        ['%Y-%m-%d', '%d/%m/%Y', '%d-%m-%Y', '%d.%m.%Y', '%Y%m%d', '%Y/%m/%d']
    ) AS DATE);

CREATE OR REPLACE TEMP MACRO icsb_flag(x) AS
    CASE upper(icsb_text(x))
        WHEN 'Y' THEN TRUE WHEN 'YES' THEN TRUE WHEN 'TRUE' THEN TRUE WHEN '1' THEN TRUE WHEN '1.0' THEN TRUE
        WHEN 'N' THEN FALSE WHEN 'NO' THEN FALSE WHEN 'FALSE' THEN FALSE WHEN '0' THEN FALSE WHEN '0.0' THEN FALSE
    END;

CREATE OR REPLACE TEMP MACRO icsb_fin_year_parts(t) AS
    regexp_extract(t, '^([0-9]{4})\s*[/-]?\s*(?:[0-9]{2})?([0-9]{2})$', ['start', 'finish']);

CREATE OR REPLACE TEMP MACRO icsb_fin_year(x) AS
    CASE
        WHEN CAST(x AS VARCHAR) IN ('2019/20', '2020/21', '2021/22', '2022/23', '2023/24', '2024/25', '2025/26',
                                    '2026/27', '2027/28', '2028/29', '2029/30') THEN CAST(x AS VARCHAR)
        WHEN icsb_fin_year_parts(icsb_text(x)).start = '' THEN NULL
        WHEN (CAST(icsb_fin_year_parts(icsb_text(x)).start AS INTEGER) + 1) % 100
             <> CAST(icsb_fin_year_parts(icsb_text(x)).finish AS INTEGER) THEN NULL
        ELSE icsb_fin_year_parts(icsb_text(x)).start || '/' || icsb_fin_year_parts(icsb_text(x)).finish
    END;

CREATE OR REPLACE TEMP MACRO icsb_spelling(x) AS
    regexp_replace(upper(icsb_text(x)), '[\s-]+', '_', 'g');
