package proxy

import (
	"context"
	"fmt"
	"hash/fnv"
	"path"
	"regexp"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// Decision is a RecordingPolicy's verdict on one call.
type Decision struct {
	// Record: record the call from its answer.
	Record bool
	// OnDemand: the call may be recorded later on request (Server.Record)
	// even though Record is false. A rule with record: false (a call that
	// must never be recorded) and the default "none" say no.
	OnDemand bool
	// Profile names the recording profile ("" is the recorder's default).
	Profile string
	// Labels are stored with the recording.
	Labels map[string]string
	// Keywords are spotted live in the call (nil: its profile's).
	Keywords []string
	// Rule is the index of the rule that decided, -1 for the default.
	Rule int
}

// Default decisions for calls no rule matches.
const (
	RecordAll      = "all"       // record every call
	RecordNone     = "none"      // record nothing, not even on demand
	RecordOnDemand = "on_demand" // record nothing unless asked (API/CLI)
)

// Rule is one recording rule of a Policy.
//
// Caller and Callee are patterns on the From and To URIs: "" or "*"
// matches any; "/RE/" is a Go regular expression (RE2, unanchored unless
// it says ^ or $) matched against the URI as sip:user@host (no display
// name, brackets or parameters); anything else is a glob (* ? [...], as
// path.Match) matched against the user part, or against user@host when
// the pattern holds an @.
type Rule struct {
	Caller, Callee string
	// Percent of the matching calls are recorded (0-100), chosen by a
	// hash of the Call-ID: the same call always gets the same answer.
	Percent float64
	// Record false makes the rule exclude its calls from recording, on
	// demand included.
	Record   bool
	Profile  string
	Labels   map[string]string
	Keywords []string
}

type matcher func(u sip.Uri) bool

type rule struct {
	Rule
	caller, callee matcher
}

// Policy is a first-match list of rules with a default. Safe for
// concurrent use; immutable after NewPolicy.
type Policy struct {
	def   string
	rules []rule
}

// NewPolicy compiles rules; def is RecordAll, RecordNone or
// RecordOnDemand.
func NewPolicy(def string, rules []Rule) (*Policy, error) {
	switch def {
	case RecordAll, RecordNone, RecordOnDemand:
	default:
		return nil, fmt.Errorf("%w: default %q: want all, none or on_demand", ErrBadPolicy, def)
	}
	p := &Policy{def: def}
	for i, r := range rules {
		if r.Percent < 0 || r.Percent > 100 {
			return nil, fmt.Errorf("%w: rule %d: percent %v not in 0-100", ErrBadPolicy, i, r.Percent)
		}
		c, err := compilePattern(r.Caller)
		if err != nil {
			return nil, fmt.Errorf("%w: rule %d: caller: %w", ErrBadPolicy, i, err)
		}
		e, err := compilePattern(r.Callee)
		if err != nil {
			return nil, fmt.Errorf("%w: rule %d: callee: %w", ErrBadPolicy, i, err)
		}
		p.rules = append(p.rules, rule{Rule: r, caller: c, callee: e})
	}
	return p, nil
}

// CompilePattern checks a Rule's Caller or Callee pattern.
func CompilePattern(pat string) error {
	_, err := compilePattern(pat)
	return err
}

func compilePattern(pat string) (matcher, error) {
	switch {
	case pat == "" || pat == "*":
		return func(sip.Uri) bool { return true }, nil
	case len(pat) >= 2 && strings.HasPrefix(pat, "/") && strings.HasSuffix(pat, "/"):
		re, err := regexp.Compile(pat[1 : len(pat)-1])
		if err != nil {
			return nil, err
		}
		return func(u sip.Uri) bool { return re.MatchString(plainURI(u)) }, nil
	}
	if _, err := path.Match(pat, ""); err != nil {
		return nil, fmt.Errorf("glob %q: %w", pat, err)
	}
	withHost := strings.Contains(pat, "@")
	return func(u sip.Uri) bool {
		s := u.User
		if withHost {
			s += "@" + u.Host
		}
		ok, _ := path.Match(pat, s)
		return ok
	}, nil
}

// plainURI is scheme:user@host[:port] without parameters.
func plainURI(u sip.Uri) string {
	var b strings.Builder
	if u.Scheme == "" {
		b.WriteString("sip")
	} else {
		b.WriteString(u.Scheme)
	}
	b.WriteByte(':')
	if u.User != "" {
		b.WriteString(u.User)
		b.WriteByte('@')
	}
	b.WriteString(u.Host)
	if u.Port != 0 {
		fmt.Fprintf(&b, ":%d", u.Port)
	}
	return b.String()
}

// Sample maps a Call-ID to [0, 100): a call is in a rule's sample when
// Sample(callID) < Percent. FNV-1a is stable across processes and
// versions, so a call's fate does not depend on which node sees it.
func Sample(callID string) float64 {
	h := fnv.New64a()
	h.Write([]byte(callID))
	return float64(h.Sum64()%10000) / 100
}

// Decide returns the first matching rule's decision, else the default's.
// caller and callee are the From and To URIs.
func (p *Policy) Decide(callID string, caller, callee sip.Uri) Decision {
	for i := range p.rules {
		r := &p.rules[i]
		if !r.caller(caller) || !r.callee(callee) {
			continue
		}
		if !r.Record {
			return Decision{Rule: i, Labels: r.Labels}
		}
		return Decision{Record: Sample(callID) < r.Percent, OnDemand: true, Profile: r.Profile, Labels: r.Labels, Keywords: r.Keywords, Rule: i}
	}
	return Decision{Record: p.def == RecordAll, OnDemand: p.def != RecordNone, Rule: -1}
}

// RecordingPolicy adapts p to Config.Recording.
func (p *Policy) RecordingPolicy() RecordingPolicy {
	return func(_ context.Context, c Call) Decision {
		var from, to sip.Uri
		_ = sip.ParseUri(c.Caller, &from)
		_ = sip.ParseUri(c.Callee, &to)
		return p.Decide(c.CallID, from, to)
	}
}
