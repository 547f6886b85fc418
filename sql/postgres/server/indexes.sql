-- Indexes on the PostgreSQL test server (stands in for SQL Server's columnstore, which PostgreSQL does not have).
-- Inputs: the ics_canonical tables. A load replaces one provider's setting and period: index those keys.
CREATE INDEX IF NOT EXISTS activity_period ON ics_canonical.activity (setting, org_code, fin_year, period);
CREATE INDEX IF NOT EXISTS cost_lines_period ON ics_canonical.cost_lines (setting, org_code, fin_year, period);
