-- Migration: usage_retention
-- Inverse of the up file: drops the retention function (the policy row belongs to usage_events).

DROP FUNCTION usage.drop_expired_event_partitions(timestamptz);
