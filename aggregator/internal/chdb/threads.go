package chdb

import (
	"runtime"
	"sync"
	"syscall"
)

// EngineNice is the nice value of the threads that run the engine. A
// beacon's answer must not wait behind a merge, a materialized view or the
// sessionizer's queries: those can wait a little, and still use every
// idle moment of the CPU.
const EngineNice = 10

// engineThreads is how many calls into the engine may run at once: the
// store's pool of connections, and room for connecting and closing.
const engineThreads = 8

var engine struct {
	once  sync.Once
	calls chan func()
}

// onEngine runs f on one of the engine's own OS threads, which run at
// EngineNice and never run Go code of the rest of the program. Threads the
// engine starts from them (its pools) inherit that priority.
func onEngine(f func()) {
	engine.once.Do(func() {
		engine.calls = make(chan func())
		for range engineThreads {
			go engineThread()
		}
	})
	done := make(chan struct{})
	engine.calls <- func() { f(); close(done) }
	<-done
}

func engineThread() {
	// Never unlocked: the thread belongs to the engine for good, so its
	// lowered priority never reaches other goroutines.
	runtime.LockOSThread()
	syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), EngineNice)
	for f := range engine.calls {
		f()
	}
}
