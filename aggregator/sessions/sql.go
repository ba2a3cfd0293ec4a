package sessions

import (
	"embed"
	"strings"
)

//go:embed queries/*.sql
var queryFiles embed.FS

// query returns the SQL of queries/name.sql, with {{events}} replaced by the
// raw event columns the sessionizer reads. It panics on a missing file: the
// files are embedded, so that is a build mistake caught by any test.
func query(name string) string {
	b, err := queryFiles.ReadFile("queries/" + name + ".sql")
	if err != nil {
		panic("sessions: missing query " + name)
	}
	return strings.ReplaceAll(string(b), "{{events}}", eventSelect)
}

var (
	sqlNewInserts           = query("newInserts")
	sqlInsertEvents         = query("insertEvents")
	sqlInsertCounts         = query("insertCounts")
	sqlRecentVisitors       = query("recentVisitors")
	sqlLoadLinked           = query("loadLinked")
	sqlLoadVisitors         = query("loadVisitors")
	sqlLoadShard            = query("loadShard")
	sqlCurrentSessions      = query("currentSessions")
	sqlCurrentSessionEvents = query("currentSessionEvents")
	sqlReadLease            = query("readLease")
	sqlCountDays            = query("countDays")
)
