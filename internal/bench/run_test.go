package bench

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

func TestRunEndToEnd(t *testing.T) {
	for _, proto := range []string{"udp", "ng"} {
		t.Run(proto, func(t *testing.T) {
			relay := startFakeRelay(t)
			cfg := Config{
				Control:  proto + ":" + relay.addr(),
				Calls:    10,
				Ramp:     200 * time.Millisecond,
				Duration: 2 * time.Second,
				Drain:    2 * time.Second,
				Record:   true,
				PID:      os.Getpid(), // account ourselves as the "relay"
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			res, err := Run(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			var sb strings.Builder
			res.WriteText(&sb)
			t.Log("\n" + sb.String())
			if res.CallsUp != 10 || res.SetupFailed != 0 || res.DeleteFailed != 0 || res.RecordFailed != 0 {
				t.Errorf("calls up %d failed %d delete errors %d record errors %d", res.CallsUp, res.SetupFailed, res.DeleteFailed, res.RecordFailed)
			}
			if relay.deletes.Load() != 10 || relay.records.Load() != 10 {
				t.Errorf("relay saw %d deletes, %d records", relay.deletes.Load(), relay.records.Load())
			}
			if res.Lost != 0 || res.Duplicates != 0 || res.Misrouted != 0 || res.Foreign != 0 || res.Received != res.Sent {
				t.Errorf("sent %d received %d lost %d dup %d misrouted %d foreign %d",
					res.Sent, res.Received, res.Lost, res.Duplicates, res.Misrouted, res.Foreign)
			}
			// 10 calls x 2 directions x 50 pps for about 2.1 s on average.
			if res.Sent < 1800 || res.Sent > 2400 {
				t.Errorf("sent %d packets, want about 2100", res.Sent)
			}
			if res.Latency.P50 <= 0 || res.Latency.P99 > 100_000 || res.Latency.Max < res.Latency.P99 {
				t.Errorf("latency %+v", res.Latency)
			}
			if res.Forwarded == 0 || res.GenUsPerPkt <= 0 || res.RelayRSSAfterKB <= 0 {
				t.Errorf("window forwarded %d gen µs/pkt %f rss %d", res.Forwarded, res.GenUsPerPkt, res.RelayRSSAfterKB)
			}
		})
	}
}

func TestRunSetupFailure(t *testing.T) {
	relay := startFakeRelay(t)
	relay.ctl.Close() // nobody answers: every offer times out
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := Run(ctx, Config{Control: "udp:" + relay.addr(), Calls: 2, Ramp: time.Millisecond, Duration: time.Millisecond})
	if !errors.Is(err, ErrTimeout) || res == nil || res.SetupFailed != 2 {
		t.Fatalf("err %v, res %+v", err, res)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []Config{{}, {Control: "x:1", Calls: -1}, {Control: "udp:127.0.0.1:1", Tick: time.Second}} {
		if err := c.Validate(); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: err %v", c, err)
		}
	}
	if _, err := NewController("tcp:1.2.3.4:5"); !errors.Is(err, ErrConfig) {
		t.Errorf("unknown scheme: %v", err)
	}
}
