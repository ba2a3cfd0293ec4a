-- Every event of some visitor ids.
SELECT {{events}}
FROM events
WHERE site = ? AND time >= ? AND time < ? AND visitor_id IN ?
