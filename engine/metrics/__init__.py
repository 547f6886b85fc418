"""Metrics: the result tables, one SQL file each in sql/metrics/, computed from the store and reconciled."""
