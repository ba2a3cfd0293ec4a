-- Every event of some visitor ids, and the events that name one of them as
-- their previous-day id (the start of a visit that may continue theirs).
SELECT {{events}}
FROM events
WHERE site = ? AND time >= ? AND time < ?
  AND (visitor_id IN ? OR prev_visitor_id IN ?)
