-- Roles on the PostgreSQL test server, the same two as on SQL Server (sql/mssql/server/roles.sql).
-- icsbench_reader may read the published views only (views run with their owner's rights); icsbench_writer runs
-- loads and refreshes.
DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'icsbench_reader') THEN CREATE ROLE icsbench_reader NOLOGIN; END IF; END $$;
DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'icsbench_writer') THEN CREATE ROLE icsbench_writer NOLOGIN; END IF; END $$;
GRANT USAGE ON SCHEMA published TO icsbench_reader, icsbench_writer;
GRANT SELECT ON ALL TABLES IN SCHEMA published TO icsbench_reader, icsbench_writer;
GRANT USAGE, CREATE ON SCHEMA ics_canonical, ics_staging, ics_results TO icsbench_writer;
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA ics_canonical, ics_staging, ics_results TO icsbench_writer;
