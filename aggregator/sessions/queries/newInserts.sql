-- Raw inserts in the recent window that the sessionizer has not folded in
-- yet, with how many events each holds now (an insert's parts become
-- visible one partition at a time, so the count tells when it is whole)
-- and the times its events span.
SELECT insert_id, count() AS n, min(time) AS first, max(time) AS last
FROM events
WHERE time >= ?
  AND insert_id NOT IN (SELECT insert_id FROM sessionized_inserts WHERE time >= ?)
GROUP BY insert_id
ORDER BY first, insert_id
