-- For a rebuild: the events of one UTC day of the visitor ids in one shard
-- (visitor_id modulo the shard count), with the next day's events that name
-- one of those ids as their previous-day id.
SELECT {{events}}
FROM events
WHERE site = ? AND time >= ? AND time < ?
  AND (visitor_id % ? = ? OR (prev_visitor_id != 0 AND prev_visitor_id % ? = ?))
