// Package chdb loads the embedded ClickHouse engine (libchdb.so) at run time
// and runs queries on it.
//
// The library is opened with dlopen only when an embedded store is asked for,
// so a varde binary that talks to a ClickHouse server starts on a machine
// without libchdb. Loading the engine replaces the process's handlers for the
// deadly signals; this package saves Go's handlers first and puts them back,
// so a Go panic stays a recoverable panic with the engine loaded.
package chdb

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>

typedef struct chdb_connection_ { void *internal_data; } *chdb_connection;
typedef struct chdb_result_ { void *internal_data; } chdb_result;

typedef chdb_connection *(*connect_fn)(int, char **);
typedef void (*close_fn)(chdb_connection *);
typedef chdb_result *(*query_fn)(chdb_connection, const char *, size_t, const char *, size_t);
typedef const char *(*buffer_fn)(chdb_result *);
typedef size_t (*length_fn)(chdb_result *);
typedef const char *(*error_fn)(chdb_result *);
typedef void (*destroy_fn)(chdb_result *);
typedef void (*set_handlers_fn)(int);

static void *lib;
static connect_fn p_connect;
static close_fn p_close;
static query_fn p_query;
static buffer_fn p_buffer;
static length_fn p_length;
static error_fn p_error;
static destroy_fn p_destroy;
static set_handlers_fn p_set_handlers;

// The signals the engine takes over, plus those Go needs for shutdown.
static const int guarded[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP,
	SIGSYS, SIGTSTP, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGUSR1, SIGUSR2, SIGURG};
#define NGUARDED (sizeof(guarded) / sizeof(guarded[0]))
static struct sigaction saved[NGUARDED];

static void save_handlers(void) {
	for (size_t i = 0; i < NGUARDED; i++) sigaction(guarded[i], NULL, &saved[i]);
}

static void restore_handlers(void) {
	for (size_t i = 0; i < NGUARDED; i++) sigaction(guarded[i], &saved[i], NULL);
}

// handler_of returns the address of the handler currently installed for sig,
// so tests can see that Go's handler survived.
static uintptr_t handler_of(int sig) {
	struct sigaction sa;
	sigaction(sig, NULL, &sa);
	return (uintptr_t)sa.sa_sigaction;
}

static char *load(const char *path) {
	if (lib) return NULL;
	save_handlers();
	lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		restore_handlers();
		return strdup(dlerror());
	}
	p_connect = (connect_fn)dlsym(lib, "chdb_connect");
	p_close = (close_fn)dlsym(lib, "chdb_close_conn");
	p_query = (query_fn)dlsym(lib, "chdb_query_n");
	p_buffer = (buffer_fn)dlsym(lib, "chdb_result_buffer");
	p_length = (length_fn)dlsym(lib, "chdb_result_length");
	p_error = (error_fn)dlsym(lib, "chdb_result_error");
	p_destroy = (destroy_fn)dlsym(lib, "chdb_destroy_query_result");
	p_set_handlers = (set_handlers_fn)dlsym(lib, "chdb_set_signal_handlers_enabled");
	if (!p_connect || !p_close || !p_query || !p_buffer || !p_length || !p_error || !p_destroy) {
		restore_handlers();
		return strdup("libchdb does not export the chdb_connect/chdb_query_n API; use chDB 26.x");
	}
	// Ask the engine not to install crash handlers at all; the call itself
	// resets them to SIG_DFL, so Go's are put back right after.
	if (p_set_handlers) p_set_handlers(0);
	restore_handlers();
	return NULL;
}

static chdb_connection *connect_engine(int argc, char **argv) {
	save_handlers();
	chdb_connection *c = p_connect(argc, argv);
	restore_handlers();
	return c;
}

static void close_engine(chdb_connection *c) { p_close(c); }

static chdb_result *run_query(chdb_connection *c, const char *q, size_t qlen, const char *f, size_t flen) {
	return p_query(*c, q, qlen, f, flen);
}
static const char *result_buffer(chdb_result *r) { return p_buffer(r); }
static size_t result_length(chdb_result *r) { return p_length(r); }
static const char *result_error(chdb_result *r) { return p_error(r); }
static void destroy_result(chdb_result *r) { p_destroy(r); }
*/
import "C"

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"unsafe"
)

// EngineMallocConf is the engine allocator's configuration unless
// JE_MALLOC_CONF is set.
const EngineMallocConf = "narenas:1,dirty_decay_ms:1000,muzzy_decay_ms:0"

// ErrNotFound is returned when libchdb.so cannot be found or opened.
var ErrNotFound = errors.New("chdb: libchdb.so not found")

var loadMu sync.Mutex

// Load opens the library at path once per process. Later calls with any path
// are no-ops: the engine cannot be loaded twice.
func Load(path string) error {
	loadMu.Lock()
	defer loadMu.Unlock()
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("%w at %s", ErrNotFound, path)
	}
	// The engine's allocator (jemalloc, read at its first allocation)
	// keeps an arena per core and freed pages for 10 s by default, which
	// suits a server that owns the machine. Embedded, one arena that gives
	// freed pages back after a second keeps the engine smaller. Returning
	// them at once (dirty_decay_ms:0) or going without thread caches was
	// measured too: the 30-day overview at 10M events took 2.3 and 1.15
	// times as long.
	if os.Getenv("JE_MALLOC_CONF") == "" {
		os.Setenv("JE_MALLOC_CONF", EngineMallocConf)
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var msg *C.char
	onEngine(func() { msg = C.load(cpath) })
	if msg != nil {
		defer C.free(unsafe.Pointer(msg))
		return fmt.Errorf("%w: %s", ErrNotFound, C.GoString(msg))
	}
	return nil
}

// Conn is a connection to the engine. It is safe for concurrent use.
type Conn struct {
	mu sync.RWMutex // guards c against Close during a query
	c  *C.chdb_connection
}

// Connect opens the engine on a data directory. The engine keeps one data
// directory per process.
func Connect(dataDir string) (*Conn, error) {
	args := []string{"varde", "--path=" + dataDir}
	argv := make([]*C.char, len(args))
	for i, a := range args {
		argv[i] = C.CString(a)
		defer C.free(unsafe.Pointer(argv[i]))
	}
	var c *C.chdb_connection
	onEngine(func() { c = C.connect_engine(C.int(len(args)), &argv[0]) })
	if c == nil {
		return nil, fmt.Errorf("chdb: cannot open the engine on %s", dataDir)
	}
	return &Conn{c: c}, nil
}

// Query runs one statement and returns its output in the given format.
// A SQL error comes back as an error.
func (c *Conn) Query(query, format string) ([]byte, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.c == nil {
		return nil, errors.New("chdb: connection closed")
	}
	// The engine reads the statement in place (it takes a length, and
	// keeps nothing after the call): a large INSERT is not copied again.
	q := (*C.char)(unsafe.Pointer(unsafe.StringData(query)))
	if len(query) == 0 {
		q = C.CString("")
		defer C.free(unsafe.Pointer(q))
	}
	f := C.CString(format)
	defer C.free(unsafe.Pointer(f))
	var r *C.chdb_result
	onEngine(func() { r = C.run_query(c.c, q, C.size_t(len(query)), f, C.size_t(len(format))) })
	if r == nil {
		return nil, errors.New("chdb: query returned no result")
	}
	defer C.destroy_result(r)
	if e := C.result_error(r); e != nil {
		if msg := C.GoString(e); msg != "" {
			return nil, errors.New(msg)
		}
	}
	n := C.result_length(r)
	if n == 0 {
		return nil, nil
	}
	return C.GoBytes(unsafe.Pointer(C.result_buffer(r)), C.int(n)), nil
}

// Close closes the connection; closing the last one stops the engine.
func (c *Conn) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.c != nil {
		onEngine(func() { C.close_engine(c.c) })
		c.c = nil
	}
}

// SignalHandler reports the address of the handler installed for sig, for
// tests that check Go's handlers survived loading the engine.
func SignalHandler(sig syscall.Signal) uintptr {
	return uintptr(C.handler_of(C.int(sig)))
}
