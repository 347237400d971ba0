package proxy

import (
	"sync"
	"time"
)

// call is the media state the proxy keeps per Call-ID between the initial
// INVITE and the BYE (or the INVITE's failure): about 200 bytes plus the
// strings, one map entry. SIP transaction state lives in sipgo and ends
// with each transaction (Timer D/K, at most 32 s after the final
// response).
type call struct {
	id, fromTag, toTag string
	created            time.Time
	// lateOfferer is the tag of the party whose offer came in a 2xx
	// (late offer) and whose answer is due in the ACK; "" otherwise.
	lateOfferer string
}

type calls struct {
	mu sync.Mutex
	m  map[string]*call
}

func (c *calls) get(id string) *call {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[id]
}

func (c *calls) put(k *call) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k.id]; !ok {
		c.m[k.id] = k
	}
}

// update runs f on the call under the lock; false when there is none.
func (c *calls) update(id string, f func(*call)) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	k, ok := c.m[id]
	if ok {
		f(k)
	}
	return ok
}

func (c *calls) remove(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, id)
}

func (c *calls) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

// expired removes and returns calls created before t.
func (c *calls) expired(t time.Time) []*call {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*call
	for id, k := range c.m {
		if k.created.Before(t) {
			out = append(out, k)
			delete(c.m, id)
		}
	}
	return out
}
