-- The holder of a lease: its newest version. Versions carry a hash of the
-- holder in their low bits, so two claims hardly ever tie; the caller
-- breaks a tie by the greater holder, so every node reads the same answer.
-- (No ORDER BY ... LIMIT 1: chDB 26.5's top-k filter fails on it.)
SELECT holder, expires, version
FROM leases
WHERE name = ? AND version = (SELECT max(version) FROM leases WHERE name = ?)
