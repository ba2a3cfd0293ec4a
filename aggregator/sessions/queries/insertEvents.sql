-- The raw events of some inserts, for the lease holder's fast path.
SELECT {{events}}
FROM events
WHERE time >= ? AND time <= ? AND insert_id IN ?
