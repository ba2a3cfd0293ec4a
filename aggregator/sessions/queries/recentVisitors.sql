-- The visitors with events since a moment: those a new lease holder did not
-- fold in itself.
SELECT DISTINCT site, visitor_id
FROM events
WHERE time >= ?
