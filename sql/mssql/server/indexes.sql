-- Indexes on the ICS SQL Server (T-SQL). Inputs: the ics_canonical tables made by `icsbench db init`.
-- activity and cost_lines hold every trust's records (millions of rows, read whole by each refresh and grouped by
-- provider, setting and period): a clustered columnstore index compresses them about tenfold and lets scans skip
-- segments. The result tables are small (thousands of rows) and replaced whole: heaps are right for them.
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = 'cci_activity' AND object_id = OBJECT_ID('ics_canonical.activity'))
    CREATE CLUSTERED COLUMNSTORE INDEX cci_activity ON ics_canonical.activity;
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = 'cci_cost_lines' AND object_id = OBJECT_ID('ics_canonical.cost_lines'))
    CREATE CLUSTERED COLUMNSTORE INDEX cci_cost_lines ON ics_canonical.cost_lines;
