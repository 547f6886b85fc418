-- Database roles on the ICS SQL Server (T-SQL). Add people and service accounts to them with ALTER ROLE ... ADD MEMBER.
-- icsbench_reader: may read the published views and nothing else (Power BI, analysts, other teams' SQL). The views
--   reach ics_results through ownership chaining, so readers need no right on the tables themselves.
-- icsbench_writer: runs loads and refreshes: reads and writes the icsbench schemas and creates the push-down work
--   tables in ics_staging. Reading the trusts' own tables (e.g. dbo) is granted by the DBA separately.
IF DATABASE_PRINCIPAL_ID('icsbench_reader') IS NULL EXEC('CREATE ROLE icsbench_reader');
IF DATABASE_PRINCIPAL_ID('icsbench_writer') IS NULL EXEC('CREATE ROLE icsbench_writer');
GRANT SELECT ON SCHEMA::published TO icsbench_reader;
GRANT SELECT ON SCHEMA::published TO icsbench_writer;
GRANT SELECT, INSERT, UPDATE, DELETE, ALTER ON SCHEMA::ics_canonical TO icsbench_writer;
GRANT SELECT, INSERT, UPDATE, DELETE, ALTER ON SCHEMA::ics_staging TO icsbench_writer;
GRANT SELECT, INSERT, UPDATE, DELETE, ALTER ON SCHEMA::ics_results TO icsbench_writer;
GRANT CREATE TABLE TO icsbench_writer;
