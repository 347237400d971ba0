package rtpp

import (
	"container/list"
	"time"
)

// rcache keeps the replies sent on one UDP socket so that a command
// retransmitted with the same cookie from the same source is answered
// again without running it twice (rtpproxy's rtpp_command_rcache.c keys
// on the cookie alone; keying on source and cookie also stops one
// client from reading another's replies by guessing cookies). It is
// owned by the socket's reader goroutine and is not locked.
type rcache struct {
	ttl   time.Duration
	max   int
	items map[string]*list.Element
	order list.List // of *rentry, oldest (earliest expiry) first
}

type rentry struct {
	key   string
	reply []byte
	exp   time.Time
}

func newRcache(ttl time.Duration, max int) *rcache {
	if ttl <= 0 {
		ttl = 30 * time.Second
	}
	if max <= 0 {
		max = 4096
	}
	return &rcache{ttl: ttl, max: max, items: make(map[string]*list.Element)}
}

// get returns the cached reply for key, if not expired.
func (c *rcache) get(key string, now time.Time) ([]byte, bool) {
	el, ok := c.items[key]
	if !ok {
		return nil, false
	}
	e := el.Value.(*rentry)
	if now.After(e.exp) {
		c.remove(el)
		return nil, false
	}
	return e.reply, true
}

// put stores reply under key, evicting expired entries and, when full,
// the oldest one.
func (c *rcache) put(key string, reply []byte, now time.Time) {
	if el, ok := c.items[key]; ok {
		c.remove(el)
	}
	for el := c.order.Front(); el != nil; el = c.order.Front() {
		if !now.After(el.Value.(*rentry).exp) && c.order.Len() < c.max {
			break
		}
		c.remove(el)
	}
	c.items[key] = c.order.PushBack(&rentry{key: key, reply: reply, exp: now.Add(c.ttl)})
}

func (c *rcache) remove(el *list.Element) {
	delete(c.items, el.Value.(*rentry).key)
	c.order.Remove(el)
}

func (c *rcache) len() int { return c.order.Len() }
