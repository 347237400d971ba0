package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// Result is the outcome of one Run. Latencies are in microseconds. The
// CPU and packet-rate figures cover the hold window only (after every
// call is set up, before teardown); loss and latency cover the whole run.
//
// Latency runs from the send timestamp to the kernel's receive timestamp
// on the generator's socket. A worker sends one tick's packets as one
// burst (about 2*calls*tick/ptime/senders packets), so latency includes
// the relay's queueing behind that burst; a finer --tick lowers it at
// some generator CPU.
type Result struct {
	Control      string  `json:"control"`
	Calls        int     `json:"calls"`
	CallsUp      int     `json:"calls_up"`
	SetupFailed  int     `json:"setup_failed"`
	DeleteFailed int     `json:"delete_failed"`
	RecordFailed int     `json:"record_failed,omitempty"`
	Ramp         float64 `json:"ramp_s"`
	Duration     float64 `json:"duration_s"`
	Interrupted  bool    `json:"interrupted,omitempty"`
	FirstError   string  `json:"first_error,omitempty"` // first setup/control error seen
	DeadStreams  int     `json:"dead_streams"`          // directions of set-up calls that received nothing

	Sent       uint64  `json:"packets_sent"`
	Received   uint64  `json:"packets_received"` // unique packets
	Lost       uint64  `json:"packets_lost"`
	LossPct    float64 `json:"loss_pct"`
	Duplicates uint64  `json:"duplicates"`
	Reordered  uint64  `json:"reordered"`
	Misrouted  uint64  `json:"misrouted"` // arrived on the wrong side
	Foreign    uint64  `json:"foreign"`   // not one of ours
	SendErrors uint64  `json:"send_errors"`
	// GenRxDrops counts packets dropped because the generator's own
	// receive queues overflowed (SO_RXQ_OVFL): loss that is not the
	// relay's fault. HostRcvbufErrors is the host-wide UDP RcvbufErrors
	// increase over the run (/proc/net/snmp): on an otherwise idle host,
	// HostRcvbufErrors-GenRxDrops were dropped at the relay's sockets.
	GenRxDrops       uint64 `json:"gen_rx_drops"`
	HostRcvbufErrors uint64 `json:"host_udp_rcvbuf_errors"`

	Latency    Quantiles `json:"latency_us"`     // one-way, sender to receiver through the relay
	JitterMean float64   `json:"jitter_mean_us"` // RFC 3550 jitter of transit times, mean over streams
	JitterMax  float64   `json:"jitter_max_us"`
	Setup      Quantiles `json:"setup_ms"`      // offer+answer round trips per call, in ms
	SchedLate  Quantiles `json:"sched_late_us"` // sender wake-up lateness

	Window            float64 `json:"window_s"`
	WindowPPS         float64 `json:"window_forwarded_pps"`
	Forwarded         uint64  `json:"window_forwarded"`
	GenCPUPct         float64 `json:"gen_cpu_pct"`
	GenUsPerPkt       float64 `json:"gen_cpu_us_per_pkt"` // generator CPU / forwarded packets
	RelayPID          int     `json:"relay_pid,omitempty"`
	RelayCPUPct       float64 `json:"relay_cpu_pct,omitempty"`
	RelayUsPerPkt     float64 `json:"relay_cpu_us_per_pkt,omitempty"`
	RelayRSSBeforeKB  int64   `json:"relay_rss_before_kib,omitempty"`
	RelayRSSAfterKB   int64   `json:"relay_rss_after_kib,omitempty"`
	RelayRSSPerCallKB float64 `json:"relay_rss_per_call_kib,omitempty"`

	SendSyscalls uint64 `json:"send_syscalls"`
	RecvSyscalls uint64 `json:"recv_syscalls"`
}

// Quantiles summarises a Histogram.
type Quantiles struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

func quantiles(h *Histogram, unit time.Duration) Quantiles {
	u := float64(unit)
	return Quantiles{P50: float64(h.Quantile(0.5)) / u, P90: float64(h.Quantile(0.9)) / u,
		P99: float64(h.Quantile(0.99)) / u, Max: float64(h.Max()) / u, Mean: h.Mean() / u}
}

// fill computes res from the runner after every goroutine has stopped.
func (r *runner) fill(res *Result, w0, w1 snap) {
	var streams int
	for i := range r.calls {
		c := &r.calls[i]
		switch c.state.Load() {
		case stateActive:
			res.CallsUp++
		case stateFailed:
			res.SetupFailed++
		}
		for d := range c.tx {
			rx := &c.rx[d]
			res.Sent += c.tx[d].sent
			uniq := rx.received - rx.dups
			res.Received += uniq
			if c.tx[d].sent > uniq {
				res.Lost += c.tx[d].sent - uniq
			}
			if c.state.Load() == stateActive && uniq == 0 {
				res.DeadStreams++
			}
			res.Duplicates += rx.dups
			res.Reordered += rx.reordered
			if rx.received > 1 {
				j := float64(rx.jitter) / 1e3
				res.JitterMean += j
				res.JitterMax = max(res.JitterMax, j)
				streams++
			}
		}
	}
	if streams > 0 {
		res.JitterMean /= float64(streams)
	}
	if res.Sent > 0 {
		res.LossPct = 100 * float64(res.Lost) / float64(res.Sent)
	}
	res.RecordFailed = int(r.recordErrs.Load())
	if p := r.firstErr.Load(); p != nil {
		res.FirstError = (*p).Error()
	}
	res.Misrouted, res.Foreign = r.misrouted.Load(), r.foreign.Load()
	res.SendErrors = r.sendErrs.Load()
	res.GenRxDrops = r.rxDrops.Load()
	res.SendSyscalls, res.RecvSyscalls = r.sendCalls.Load(), r.recvCalls.Load()
	res.Latency = quantiles(&r.lat, time.Microsecond)
	res.Setup = quantiles(&r.setup, time.Millisecond)
	res.SchedLate = quantiles(&r.sched, time.Microsecond)

	dt := (w1.at - w0.at).Seconds()
	res.Window = dt
	res.Forwarded = w1.recv - w0.recv
	if dt > 0 {
		res.WindowPPS = float64(res.Forwarded) / dt
		res.GenCPUPct = 100 * (w1.self - w0.self).Seconds() / dt
	}
	if res.Forwarded > 0 {
		res.GenUsPerPkt = float64((w1.self - w0.self).Nanoseconds()) / 1e3 / float64(res.Forwarded)
	}
	if r.cfg.PID > 0 && w0.relayErr == nil && w1.relayErr == nil {
		cpu := w1.relayCPU - w0.relayCPU
		if dt > 0 {
			res.RelayCPUPct = 100 * cpu.Seconds() / dt
		}
		if res.Forwarded > 0 {
			res.RelayUsPerPkt = float64(cpu.Nanoseconds()) / 1e3 / float64(res.Forwarded)
		}
		res.RelayRSSAfterKB = w1.rss
		if res.CallsUp > 0 && w1.rss > 0 && res.RelayRSSBeforeKB > 0 {
			res.RelayRSSPerCallKB = float64(w1.rss-res.RelayRSSBeforeKB) / float64(res.CallsUp)
		}
	}
}

// WriteJSON writes res as indented JSON.
func (res *Result) WriteJSON(w io.Writer) error {
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	return e.Encode(res)
}

// WriteText writes res as a human-readable table.
func (res *Result) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	p := func(k, f string, a ...any) { fmt.Fprintf(tw, "%s\t"+f+"\n", append([]any{k}, a...)...) }
	p("control", "%s", res.Control)
	p("calls", "%d up, %d failed, %d delete errors (of %d)", res.CallsUp, res.SetupFailed, res.DeleteFailed, res.Calls)
	p("setup ms", "p50 %.2f  p99 %.2f  max %.2f", res.Setup.P50, res.Setup.P99, res.Setup.Max)
	if res.FirstError != "" {
		p("first error", "%s", res.FirstError)
	}
	p("packets", "sent %d  received %d  lost %d (%.3f%%), %d dead streams", res.Sent, res.Received, res.Lost, res.LossPct, res.DeadStreams)
	p("anomalies", "dup %d  reordered %d  misrouted %d  foreign %d  send errors %d",
		res.Duplicates, res.Reordered, res.Misrouted, res.Foreign, res.SendErrors)
	p("socket drops", "generator rx queues %d  host UDP RcvbufErrors %d", res.GenRxDrops, res.HostRcvbufErrors)
	p("latency µs", "p50 %.0f  p90 %.0f  p99 %.0f  max %.0f  mean %.0f",
		res.Latency.P50, res.Latency.P90, res.Latency.P99, res.Latency.Max, res.Latency.Mean)
	p("jitter µs", "mean %.1f  max %.1f", res.JitterMean, res.JitterMax)
	p("sender late µs", "p50 %.0f  p99 %.0f  max %.0f", res.SchedLate.P50, res.SchedLate.P99, res.SchedLate.Max)
	p("window", "%.1fs, %d forwarded, %.0f pps", res.Window, res.Forwarded, res.WindowPPS)
	p("generator cpu", "%.1f%%  %.2f µs/forwarded pkt", res.GenCPUPct, res.GenUsPerPkt)
	if res.RelayPID > 0 {
		p("relay cpu", "%.1f%%  %.2f µs/forwarded pkt (pid %d)", res.RelayCPUPct, res.RelayUsPerPkt, res.RelayPID)
		p("relay rss", "%d → %d KiB, %.1f KiB/call", res.RelayRSSBeforeKB, res.RelayRSSAfterKB, res.RelayRSSPerCallKB)
	}
	if res.SchedLate.P99 > 20_000 {
		p("WARNING", "the generator's senders woke %.0f ms late (p99): it was starved of CPU, so rates, latency and CPU figures are unreliable", res.SchedLate.P99/1e3)
	}
	if res.Interrupted {
		p("note", "interrupted before the end of the hold")
	}
	return tw.Flush()
}
