package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/callrec/callrec/internal/asr"
	"github.com/callrec/callrec/internal/codec"
	"github.com/callrec/callrec/internal/config"
	"github.com/callrec/callrec/internal/media"
	"github.com/callrec/callrec/internal/record"
	"github.com/callrec/callrec/internal/rtpp"
	"github.com/callrec/callrec/internal/spot"
)

// MediaNode is a running media node: the session manager, its control
// listeners and, when configured, a metrics listener.
type MediaNode struct {
	Manager *media.Manager
	// Recorder is nil when no recordings directory is configured.
	Recorder *record.Recorder
	// ASR listens to the recordings (keyword spotting); nil without a
	// recorder or with asr.spotter off. Webhook, when asr.webhook.url is
	// set, is POSTed its detections.
	ASR     *asr.Hub
	Webhook *asr.Webhook
	Control *rtpp.Server
	// Addrs are the bound control listener addresses, in config order
	// ("udp:127.0.0.1:22222", "unix:/run/callrec/media.sock").
	Addrs []string

	// commands is callrec_media_control_command_duration_seconds: how
	// long the node took to execute each rtpproxy command it was sent.
	commands *prometheus.HistogramVec
	log      *slog.Logger
	metrics  *http.Server
	wg       sync.WaitGroup
}

// MediaOption changes how StartMedia builds the node beyond its config.
type MediaOption func(*mediaOptions)

type mediaOptions struct {
	onMeta     func(path string)
	collectors []prometheus.Collector
	asr        *config.ASR
	asrSinks   []asr.Sink
}

// WithASR has the recorder's calls listened to as c says (keyword
// spotting), with detections told to sinks besides the recordings'
// sidecars.
func WithASR(c config.ASR, sinks ...asr.Sink) MediaOption {
	return func(o *mediaOptions) { o.asr, o.asrSinks = &c, sinks }
}

// WithCollectors adds cs to the node's metrics listener (callrec media
// adds its Shipper's).
func WithCollectors(cs ...prometheus.Collector) MediaOption {
	return func(o *mediaOptions) { o.collectors = append(o.collectors, cs...) }
}

// WithSidecarHook has the recorder call f with each sidecar it writes
// (record.Config.OnMeta): callrec serve indexes recordings with it.
func WithSidecarHook(f func(path string)) MediaOption {
	return func(o *mediaOptions) { o.onMeta = f }
}

// StartMedia builds the media node from its config section and starts
// serving. Every listener is bound before it returns, so a controller
// may connect at once. Close stops it.
func StartMedia(ctx context.Context, c config.Media, log *slog.Logger, opts ...MediaOption) (*MediaNode, error) {
	var o mediaOptions
	for _, opt := range opts {
		opt(&o)
	}
	log = log.With("component", "media")
	listen, err := netip.ParseAddr(c.Listen)
	if err != nil {
		return nil, fmt.Errorf("app: media listen: %w", err)
	}
	var adv netip.Addr
	if c.Advertise != "" {
		if adv, err = netip.ParseAddr(c.Advertise); err != nil {
			return nil, fmt.Errorf("app: media advertise: %w", err)
		}
	}
	var rec *record.Recorder
	var asrHub *asr.Hub
	var hook *asr.Webhook
	var taps media.TapFactory
	if c.RecordDir != "" {
		dyn := map[uint8]codec.Format{}
		for pt, m := range c.RecordPayloads {
			if dyn[uint8(pt)], err = record.ParseRTPMap(m); err != nil {
				return nil, err
			}
		}
		var hub *asr.Hub
		if hub, hook, err = startASR(o.asr, c, o.asrSinks, &rec, log); err != nil {
			return nil, err
		}
		var live func(record.LiveInfo) record.Live
		if hub != nil {
			live = hub.Live
		}
		rec, err = record.New(record.Config{Dir: c.RecordDir, Profiles: c.RecordProfiles, NameTemplate: c.RecordNames,
			Payloads: dyn, Logger: log.With("component", "record"), OnMeta: o.onMeta, Live: live})
		if err != nil {
			if hub != nil {
				hub.Close(context.Background())
			}
			if hook != nil {
				hook.Close(context.Background())
			}
			return nil, err
		}
		taps = rec
		asrHub = hub
	}
	mgr, err := media.New(media.Config{
		Listen: listen, Advertise: adv, PortMin: c.PortMin, PortMax: c.PortMax,
		FirstFree: c.Allocation == "first-free", Timeout: c.Timeout.Std(), SetupTimeout: c.SetupTimeout.Std(),
		RelatchWindow: c.RelatchWindow.Std(), Workers: c.Workers, MaxSessions: c.MaxSessions, Logger: log,
		Taps: taps,
	})
	if err != nil {
		if rec != nil {
			rec.Close(context.Background())
		}
		if asrHub != nil {
			asrHub.Close(context.Background())
		}
		if hook != nil {
			hook.Close(context.Background())
		}
		return nil, err
	}
	n := &MediaNode{Manager: mgr, Recorder: rec, ASR: asrHub, Webhook: hook, log: log}
	n.Control = &rtpp.Server{Logger: log.With("component", "rtpp")}
	n.commands = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "callrec_media_control_command_duration_seconds",
		Help:    "Time the media node took to execute rtpproxy control commands, by command letter (U offer, L answer, D delete, R record, Q query...).",
		Buckets: latencyBuckets,
	}, []string{"command"})
	// The commands of every call's life are resolved (and exported) up
	// front; the rare others when they come.
	var byOp [256]prometheus.Observer
	for _, op := range []rtpp.Op{rtpp.OpUpdate, rtpp.OpLookup, rtpp.OpDelete, rtpp.OpRecord, rtpp.OpNoRecord, rtpp.OpQuery} {
		byOp[op] = n.commands.WithLabelValues(string(rune(op)))
	}
	n.Control.OnCommand = func(op rtpp.Op, d time.Duration) {
		o := byOp[op]
		if o == nil {
			o = n.commands.WithLabelValues(string(rune(op)))
		}
		o.Observe(d.Seconds())
	}
	n.Control.Handler = &media.Control{M: mgr, Commands: &n.Control.Counters}
	fail := func(err error) (*MediaNode, error) {
		n.Close(context.Background())
		return nil, err
	}
	for _, spec := range c.Control {
		sp, err := rtpp.ParseSpec(spec)
		if err != nil {
			return fail(err)
		}
		if sp.Stream() {
			if sp.Network == "unix" {
				if err := os.MkdirAll(filepath.Dir(sp.Address), 0o755); err != nil {
					return fail(fmt.Errorf("app: control socket dir: %w", err))
				}
			}
			ln, err := sp.Listen()
			if err != nil {
				return fail(fmt.Errorf("app: control %s: %w", spec, err))
			}
			n.Addrs = append(n.Addrs, sp.Network+":"+ln.Addr().String())
			n.serve(func() error { return n.Control.Serve(ctx, ln) })
		} else {
			pc, err := sp.ListenPacket()
			if err != nil {
				return fail(fmt.Errorf("app: control %s: %w", spec, err))
			}
			n.Addrs = append(n.Addrs, sp.Network+":"+pc.LocalAddr().String())
			n.serve(func() error { return n.Control.ServePacket(ctx, pc) })
		}
	}
	if c.Metrics != "" {
		reg := prometheus.NewRegistry()
		reg.MustRegister(media.NewCollector(mgr), n.commands, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
		reg.MustRegister(o.collectors...)
		if rec != nil {
			reg.MustRegister(record.NewCollector(rec))
		}
		if asrHub != nil {
			reg.MustRegister(asrHub.Collectors()...)
		}
		if hook != nil {
			reg.MustRegister(hook.Collector())
		}
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		ln, err := net.Listen("tcp", c.Metrics)
		if err != nil {
			return fail(fmt.Errorf("app: metrics: %w", err))
		}
		n.metrics = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		n.serve(func() error { return n.metrics.Serve(ln) })
	}
	in := mgr.Info()
	log.Info("media node ready", "control", n.Addrs, "listen", listen, "ports", fmt.Sprintf("%d-%d", c.PortMin, c.PortMax),
		"pairs_free", in.PortsTotal-in.PortsInUse, "allocation", c.Allocation)
	return n, nil
}

func (n *MediaNode) serve(f func() error) {
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		if err := f(); err != nil && !errors.Is(err, rtpp.ErrServerClosed) && !errors.Is(err, http.ErrServerClosed) {
			n.log.Error("listener stopped", "err", err)
		}
	}()
}

// Close stops in order: control listeners first (no new commands), then
// every session (ports freed, taps closed), then the recorder (files
// finished), then metrics.
func (n *MediaNode) Close(ctx context.Context) error {
	if n.Control != nil {
		n.Control.Close()
	}
	err := n.Manager.Close(ctx)
	if n.Recorder != nil {
		if rerr := n.Recorder.Close(ctx); err == nil {
			err = rerr
		}
	}
	// After the recorder: its recordings' legs are closed, the spotters
	// finish them and store their last detections.
	if n.ASR != nil {
		if aerr := n.ASR.Close(ctx); err == nil {
			err = aerr
		}
	}
	if n.Webhook != nil {
		n.Webhook.Close(ctx) // delivers what is queued, or gives up with ctx
	}
	if n.metrics != nil {
		n.metrics.Shutdown(ctx)
	}
	n.wg.Wait()
	return err
}

// startASR starts the keyword spotters of a media node's recorder, or
// returns nil when none is wanted. The recorder is created after the
// Hub (it needs Hub.Live); rec points to where it will be, for storing
// detections in sidecars.
func startASR(c *config.ASR, m config.Media, sinks []asr.Sink, rec **record.Recorder, log *slog.Logger) (*asr.Hub, *asr.Webhook, error) {
	if c == nil {
		return nil, nil, nil
	}
	if c.Spotter == "off" && c.Stream.URL == "" { // nothing listens, but a typo is still one
		if err := keywordCheck(*c)(c.Keywords); len(c.Keywords) > 0 && err != nil {
			return nil, nil, err
		}
		return nil, nil, nil
	}
	wanted := len(c.Keywords) > 0
	for _, p := range m.RecordProfiles {
		wanted = wanted || len(p.Keywords) > 0
	}
	if wanted && c.Spotter != "off" && c.ModelDir == "" && !spot.ModelInstalled() {
		return nil, nil, fmt.Errorf("app: keywords are configured but the PocketSphinx model is missing at %s: apt-get install pocketsphinx-en-us, or set asr.spotter: off", spot.DefaultModelDir)
	}
	for name, p := range m.RecordProfiles {
		if len(p.Keywords) > 0 {
			if err := keywordCheck(*c)(p.Keywords); err != nil {
				return nil, nil, fmt.Errorf("app: media.record_profiles.%s.keywords: %w", name, err)
			}
		}
	}
	var hook *asr.Webhook
	if c.Webhook.URL != "" {
		var err error
		if hook, err = asr.NewWebhook(asr.WebhookConfig{URL: c.Webhook.URL, Secret: c.Webhook.Secret, Token: c.Webhook.Token, Timeout: c.Webhook.Timeout.Std(),
			Logger: log.With("component", "webhook")}); err != nil {
			return nil, nil, err
		}
		sinks = append(sinks, hook)
	}
	hub, err := asr.New(asr.Config{Keywords: c.Keywords, NoSpot: c.Spotter == "off", Workers: c.Workers, Queue: c.Queue.Std(),
		ModelDir: c.ModelDir, Dict: c.Dict, Sinks: sinks, Logger: log.With("component", "asr"),
		Stream:    asr.StreamConfig{URL: c.Stream.URL, Token: c.Stream.Token, CAFile: c.Stream.CAFile, Queue: c.Stream.Queue.Std()},
		AddEvents: func(sidecar string, evs []record.Event) error { return (*rec).AddEvents(sidecar, evs) }})
	if err != nil {
		if hook != nil {
			hook.Close(context.Background())
		}
		return nil, nil, err
	}
	return hub, hook, nil
}

// keywordCheck checks keyword lists as c's spotter needs them.
func keywordCheck(c config.ASR) func([]string) error {
	return asr.KeywordCheck(c.Spotter != "off", c.Dict)
}
