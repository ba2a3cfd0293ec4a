-- The current visits of some visitor ids: rows whose signs do not sum to
-- zero. Grouping by every column is exact whether or not the table's parts
-- have been merged (collapsed) yet; n is normally 1, and anything else is
-- repaired by the diff.
SELECT site, visitor_id, session_id, start, `end`, duration, pageviews, events, bounce,
       hostname, entry_page, exit_page,
       referrer, source, utm_source, utm_medium, utm_campaign, utm_content, utm_term,
       country, region, region_name, city, browser, browser_version, os, os_version, device,
       sum(sign) AS n
FROM sessions
WHERE site = ? AND visitor_id IN ? AND start >= ? AND start < ?
GROUP BY site, visitor_id, session_id, start, `end`, duration, pageviews, events, bounce,
       hostname, entry_page, exit_page,
       referrer, source, utm_source, utm_medium, utm_campaign, utm_content, utm_term,
       country, region, region_name, city, browser, browser_version, os, os_version, device
HAVING n != 0
