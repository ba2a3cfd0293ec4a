package testenv

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/varde/varde/aggregator/store"
)

// ServerBinary is where Debian's clickhouse-server package puts the server.
const ServerBinary = "/usr/sbin/clickhouse-server"

// ReaderUser is a server user limited to reading, with no password; the
// read-side tests connect as it.
const ReaderUser = "varde_reader"

// Server is a ClickHouse server started for tests, with its own config and
// data directory, on free ports.
type Server struct {
	Dir       string
	TCPPort   int
	HTTPPort  int
	mu        sync.Mutex
	cmd       *exec.Cmd
	exited    chan error
	readerDBs []string // the databases the reader user may read
}

var shared struct {
	once sync.Once
	srv  *Server
	err  error
}

// SharedServer is one server per test process, started on first use and
// stopped when Main returns.
func SharedServer(tb testing.TB) *Server {
	tb.Helper()
	shared.once.Do(func() {
		shared.srv, shared.err = StartServer()
		if shared.err == nil {
			cleanups = append(cleanups, func() { shared.srv.Stop() })
		}
	})
	if shared.err != nil {
		Unavailable(tb, "ClickHouse server not available: %v", shared.err)
	}
	return shared.srv
}

// NewServer starts a server that belongs to one test, for tests that stop
// and restart it, or that need the read-only user: readerDBs are the
// databases it may read (the server reads its users once, at start).
func NewServer(tb testing.TB, readerDBs ...string) *Server {
	tb.Helper()
	srv, err := StartServer(readerDBs...)
	if err != nil {
		Unavailable(tb, "ClickHouse server not available: %v", err)
	}
	tb.Cleanup(func() { srv.Stop() })
	return srv
}

// StartServer starts a new server and waits until it answers. The
// read-only user may read readerDBs and nothing else.
func StartServer(readerDBs ...string) (*Server, error) {
	if _, err := os.Stat(ServerBinary); err != nil {
		return nil, fmt.Errorf("%s is missing (apt-get install clickhouse-server): %w", ServerBinary, err)
	}
	dir, err := os.MkdirTemp("", "varde-clickhouse-")
	if err != nil {
		return nil, err
	}
	s := &Server{Dir: dir, readerDBs: readerDBs}
	if s.TCPPort, err = freePort(); err != nil {
		return nil, err
	}
	if s.HTTPPort, err = freePort(); err != nil {
		return nil, err
	}
	if err := s.writeConfig(); err != nil {
		return nil, err
	}
	if err := s.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (s *Server) writeConfig() error {
	for _, d := range []string{"data", "tmp", "user_files", "format_schemas", "log"} {
		if err := os.MkdirAll(filepath.Join(s.Dir, d), 0o755); err != nil {
			return err
		}
	}
	config := fmt.Sprintf(`<?xml version="1.0"?>
<yandex>
  <logger><level>information</level><log>%[1]s/log/server.log</log><errorlog>%[1]s/log/error.log</errorlog><size>100M</size><count>1</count></logger>
  <tcp_port>%[2]d</tcp_port>
  <http_port>%[3]d</http_port>
  <listen_host>127.0.0.1</listen_host>
  <path>%[1]s/data/</path>
  <tmp_path>%[1]s/tmp/</tmp_path>
  <user_files_path>%[1]s/user_files/</user_files_path>
  <format_schema_path>%[1]s/format_schemas/</format_schema_path>
  <users_config>users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mark_cache_size>268435456</mark_cache_size>
  <max_concurrent_queries>100</max_concurrent_queries>
</yandex>
`, s.Dir, s.TCPPort, s.HTTPPort)
	if err := os.WriteFile(filepath.Join(s.Dir, "config.xml"), []byte(config), 0o644); err != nil {
		return err
	}
	return s.writeUsers()
}

// writeUsers writes users.xml: the default user, and the read-only user
// confined to readerDBs (ClickHouse 18.16 has no per-table grants;
// allow_databases is how a user is kept to the aggregates).
func (s *Server) writeUsers() error {
	var allowed strings.Builder
	allowed.WriteString("<database>system_placeholder_none</database>")
	for _, db := range s.readerDBs {
		allowed.WriteString("<database>" + db + "</database>")
	}
	users := fmt.Sprintf(`<?xml version="1.0"?>
<yandex>
  <profiles>
    <default><max_memory_usage>4000000000</max_memory_usage></default>
    <reader><readonly>2</readonly></reader>
  </profiles>
  <users>
    <default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></default>
    <%[1]s><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>reader</profile><quota>default</quota><allow_databases>%[2]s</allow_databases></%[1]s>
  </users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
`, ReaderUser, allowed.String())
	tmp := filepath.Join(s.Dir, "users.xml.tmp")
	if err := os.WriteFile(tmp, []byte(users), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(s.Dir, "users.xml"))
}

// Start runs the server process and waits until it answers queries.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return fmt.Errorf("server already running as PID %d", s.cmd.Process.Pid)
	}
	log, err := os.OpenFile(filepath.Join(s.Dir, "log", "stdout.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(ServerBinary, "--config-file="+filepath.Join(s.Dir, "config.xml"))
	cmd.Dir = s.Dir
	cmd.Stdout, cmd.Stderr = log, log
	// The server dies with the test process, even when the test is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		log.Close()
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); log.Close() }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		st, err := store.Open(ctx, store.Options{URL: s.URL("default")})
		cancel()
		if err == nil {
			st.Close()
			break
		}
		select {
		case werr := <-exited:
			return fmt.Errorf("clickhouse-server exited at start (%v); see %s/log", werr, s.Dir)
		default:
		}
		if time.Now().After(deadline) {
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			return fmt.Errorf("clickhouse-server did not answer within a minute: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	s.cmd = cmd
	s.exited = exited
	return nil
}

// PID is the server's process id while it runs, else 0.
func (s *Server) PID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// Stop stops the server by PID: SIGTERM, then SIGKILL after 15 s.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	pid := s.cmd.Process.Pid
	syscall.Kill(pid, syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(15 * time.Second):
		syscall.Kill(-pid, syscall.SIGKILL)
		<-s.exited
	}
	s.cmd = nil
}

// URL is the store URL for a database on this server, as the default user.
func (s *Server) URL(database string) string {
	return "clickhouse://default@127.0.0.1:" + strconv.Itoa(s.TCPPort) + "/" + database
}

// ReaderURL is the store URL for a database as the read-only user.
func (s *Server) ReaderURL(database string) string {
	return "clickhouse://" + ReaderUser + "@127.0.0.1:" + strconv.Itoa(s.TCPPort) + "/" + database
}
