package proxy

import (
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/emiago/sipgo/sip"
)

func uri(t *testing.T, s string) sip.Uri {
	t.Helper()
	var u sip.Uri
	if err := sip.ParseUri(s, &u); err != nil {
		t.Fatal(err)
	}
	return u
}

// TestPolicyRules: the first matching rule decides, with its profile and
// labels; globs match the user part (or user@host), /RE/ the whole URI;
// record: false excludes a call even from on-demand recording; the
// default applies when nothing matches.
func TestPolicyRules(t *testing.T) {
	p, err := NewPolicy(RecordOnDemand, []Rule{
		{Callee: "hr-*", Record: false},
		{Caller: "+44*", Callee: "sales@pbx.example.com", Percent: 100, Record: true, Profile: "hq", Labels: map[string]string{"team": "sales"}},
		{Caller: `/^sip:agent[0-9]+@/`, Percent: 100, Record: true, Profile: "agents"},
		{Callee: "support*", Percent: 0, Record: true, Profile: "never"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		caller, callee string
		want           Decision
	}{
		{"sip:+441234@gw", "sip:hr-payroll@pbx", Decision{Rule: 0}},
		{"sip:+441234@gw", "sip:sales@pbx.example.com", Decision{Record: true, OnDemand: true, Profile: "hq", Rule: 1}},
		{"sip:+441234@gw", "sip:sales@other.example.com", Decision{OnDemand: true, Rule: -1}},
		{"sip:agent17@pbx;transport=tcp", "sip:bob@pbx", Decision{Record: true, OnDemand: true, Profile: "agents", Rule: 2}},
		{"sip:agentx@pbx", "sip:bob@pbx", Decision{OnDemand: true, Rule: -1}},
		{"sip:bob@pbx", "sip:support@pbx", Decision{OnDemand: true, Profile: "never", Rule: 3}},
	} {
		got := p.Decide("id", uri(t, c.caller), uri(t, c.callee))
		got.Labels = nil
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s -> %s: %+v, want %+v", c.caller, c.callee, got, c.want)
		}
	}
	if d := p.Decide("id", uri(t, "sip:+44@gw"), uri(t, "sip:sales@pbx.example.com")); d.Labels["team"] != "sales" {
		t.Errorf("labels %v", d.Labels)
	}
	for def, want := range map[string]Decision{RecordAll: {Record: true, OnDemand: true, Rule: -1}, RecordNone: {Rule: -1}} {
		p, _ := NewPolicy(def, nil)
		if got := p.Decide("x", uri(t, "sip:a@b"), uri(t, "sip:c@d")); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("default %s: %+v", def, got)
		}
	}
	for _, bad := range []Rule{{Percent: 101}, {Caller: "/(/"}, {Callee: "[a-"}} {
		if _, err := NewPolicy(RecordAll, []Rule{bad}); !errors.Is(err, ErrBadPolicy) {
			t.Errorf("%+v: err %v, want ErrBadPolicy", bad, err)
		}
	}
	if _, err := NewPolicy("some", nil); !errors.Is(err, ErrBadPolicy) {
		t.Errorf("bad default accepted")
	}
}

// TestPolicySampling: a 25 % rule records about a quarter of 20000
// Call-IDs (binomial σ ≈ 0.3 %, tolerance 1.5 %), always the same ones.
func TestPolicySampling(t *testing.T) {
	for _, pct := range []float64{0, 5, 25, 50, 100} {
		p, _ := NewPolicy(RecordNone, []Rule{{Percent: pct, Record: true}})
		const n = 20000
		rec := 0
		for i := range n {
			id := fmt.Sprintf("%08x-%d@host.example", i*2654435761, i)
			d := p.Decide(id, sip.Uri{}, sip.Uri{})
			if d.Record {
				rec++
			}
			if fmt.Sprint(d) != fmt.Sprint(p.Decide(id, sip.Uri{}, sip.Uri{})) {
				t.Fatalf("%s decided twice differently", id)
			}
			if !d.OnDemand {
				t.Fatalf("%s: an unsampled call must stay recordable on demand", id)
			}
		}
		got := 100 * float64(rec) / n
		if math.Abs(got-pct) > 1.5 {
			t.Errorf("percent %v: recorded %.2f %% of calls", pct, got)
		}
	}
}
