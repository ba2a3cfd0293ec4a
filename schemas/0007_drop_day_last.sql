-- The tables that migration 0006 copied into day-major ones.
DROP TABLE IF EXISTS {{agg}}.dims_daily;

DROP TABLE IF EXISTS {{agg}}.dims_closed;
