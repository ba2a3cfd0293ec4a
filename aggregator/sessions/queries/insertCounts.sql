-- How many events of some inserts are visible now (an insert's parts appear
-- one partition at a time, and a failed insert may hold only some rows).
SELECT insert_id, count() AS n
FROM events
WHERE time >= ? AND time <= ? AND insert_id IN ?
GROUP BY insert_id
