-- The visitors with events in the given inserts, and the earliest time of
-- those events (to find the UTC day of the visitor id).
SELECT site, visitor_id, min(time) AS first
FROM events
WHERE time >= ? AND time <= ? AND insert_id IN ?
GROUP BY site, visitor_id
