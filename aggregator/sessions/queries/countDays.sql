-- Raw events of a site per UTC day, for a rebuild's shards and progress.
SELECT toYYYYMMDD(time) AS day, count() AS n
FROM events
WHERE site = ? AND time >= ? AND time < ?
GROUP BY day
