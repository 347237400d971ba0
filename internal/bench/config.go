package bench

import (
	"fmt"
	"io"
	"net/netip"
	"runtime"
	"time"
)

// Config is one benchmark run. The zero value of a field means the
// default given in its comment; Validate fills the defaults in.
type Config struct {
	Control  string        // udp:HOST:PORT, unix:/PATH or ng:HOST:PORT (required)
	Calls    int           // concurrent calls (default 10)
	Ramp     time.Duration // calls start evenly over this time (default 1s per 100 calls, at least 1s)
	Duration time.Duration // hold time after the ramp (default 30s)
	Ptime    time.Duration // packet interval (default 20ms)
	Tick     time.Duration // timer wheel tick, must divide Ptime (default 1ms)
	Drain    time.Duration // max wait for in-flight packets after the last send (default 500ms)
	Senders  int           // sender goroutines (default GOMAXPROCS)
	Workers  int           // concurrent control commands (default 8)
	LocalIP  netip.Addr    // generator's media address (default 127.0.0.1)
	SockBuf  int           // socket buffer size in bytes (default 4 MiB)
	PID      int           // relay pid for CPU/RSS accounting (0: none)
	Record   bool          // send R (rtpproxy) / start recording (ng) after the answer
	Progress io.Writer     // a status line per second goes here (nil: none)
}

// maxCalls is the number of calls SSRCs can name (23 bits of call index).
const maxCalls = 1 << 23

// Validate fills defaults in and checks the values.
func (c *Config) Validate() error {
	if c.Control == "" {
		return fmt.Errorf("%w: no control address", ErrConfig)
	}
	if c.Calls == 0 {
		c.Calls = 10
	}
	if c.Calls < 0 || c.Calls > maxCalls {
		return fmt.Errorf("%w: calls %d out of range 1..%d", ErrConfig, c.Calls, maxCalls)
	}
	if c.Ramp == 0 {
		c.Ramp = max(time.Second, time.Duration(c.Calls)*10*time.Millisecond)
	}
	if c.Duration == 0 {
		c.Duration = 30 * time.Second
	}
	if c.Ptime == 0 {
		c.Ptime = 20 * time.Millisecond
	}
	if c.Drain == 0 {
		c.Drain = 500 * time.Millisecond
	}
	if c.Senders == 0 {
		c.Senders = runtime.GOMAXPROCS(0)
	}
	if c.Tick == 0 {
		c.Tick = time.Millisecond
	}
	if c.Workers == 0 {
		c.Workers = 8
	}
	if !c.LocalIP.IsValid() {
		c.LocalIP = loopback
	}
	if c.SockBuf == 0 {
		c.SockBuf = 4 << 20
	}
	switch {
	case c.Ramp < 0 || c.Duration < 0 || c.Drain < 0:
		return fmt.Errorf("%w: negative duration", ErrConfig)
	case c.Ptime < time.Millisecond || c.Tick <= 0 || c.Tick > c.Ptime || c.Ptime%c.Tick != 0:
		return fmt.Errorf("%w: ptime %v must be at least 1ms and a multiple of tick %v", ErrConfig, c.Ptime, c.Tick)
	case c.Senders < 1 || c.Workers < 1:
		return fmt.Errorf("%w: senders %d, workers %d", ErrConfig, c.Senders, c.Workers)
	case !c.LocalIP.Unmap().Is4():
		return fmt.Errorf("%w: local address %v is not IPv4", ErrConfig, c.LocalIP)
	}
	return nil
}
