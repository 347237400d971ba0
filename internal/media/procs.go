package media

import (
	"runtime"
	"sync"
)

// Relay workers keep their P while they wait in epoll (see epollWait),
// so the process needs one P more per live worker, over every Manager
// in the process, or the rest of it starves. procs tracks them.
var procs struct {
	sync.Mutex
	base    int // GOMAXPROCS before any worker was added
	workers int
}

// addWorkers adjusts GOMAXPROCS for n more (or, negative, fewer)
// workers.
func addWorkers(n int) {
	procs.Lock()
	defer procs.Unlock()
	if procs.workers == 0 {
		procs.base = runtime.GOMAXPROCS(0)
	}
	procs.workers += n
	runtime.GOMAXPROCS(procs.base + procs.workers)
}
