-- The current session_events rows of some visitor ids, as currentSessions.
SELECT site, visitor_id, session_id, event_id, time, name, hostname, path, entry_page,
       referrer, source, utm_source, utm_medium, utm_campaign, utm_content, utm_term,
       country, region, region_name, city, browser, browser_version, os, os_version, device,
       props_keys, props_values,
       sum(sign) AS n
FROM session_events
WHERE site = ? AND visitor_id IN ? AND time >= ? AND time < ?
GROUP BY site, visitor_id, session_id, event_id, time, name, hostname, path, entry_page,
       referrer, source, utm_source, utm_medium, utm_campaign, utm_content, utm_term,
       country, region, region_name, city, browser, browser_version, os, os_version, device,
       props_keys, props_values
HAVING n != 0
