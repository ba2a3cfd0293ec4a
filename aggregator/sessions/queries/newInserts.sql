-- Registered inserts of raw events that the sessionizer has not folded in
-- yet: how many rows each was to hold, the times they span, and when it was
-- registered (the writer registers an insert just before it runs).
SELECT insert_id, rows, first, last, time
FROM raw_inserts
WHERE time >= ?
  AND insert_id NOT IN (SELECT insert_id FROM sessionized_inserts WHERE time >= ?)
ORDER BY first, insert_id
