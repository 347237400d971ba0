package test

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
)

// dashboardPath is the sample Grafana dashboard, relative to test/.
const dashboardPath = "../deploy/grafana/callrec.json"

// dashboardMetrics returns the metric names the dashboard's queries use
// (callrec_*), with the panels that use them.
func dashboardMetrics(t *testing.T) map[string][]string {
	t.Helper()
	b, err := os.ReadFile(dashboardPath)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Title  string `json:"title"`
		Panels []struct {
			Title   string `json:"title"`
			Type    string `json:"type"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s: %v", dashboardPath, err)
	}
	name := regexp.MustCompile(`\bcallrec_[a-z0-9_]+`)
	out := map[string][]string{}
	for _, p := range d.Panels {
		if p.Type == "row" {
			continue
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			ns := name.FindAllString(tg.Expr, -1)
			if len(ns) == 0 {
				t.Errorf("panel %q: query %q names no callrec metric", p.Title, tg.Expr)
			}
			for _, n := range ns {
				out[n] = append(out[n], p.Title)
			}
		}
	}
	return out
}

// checkDashboard checks that every metric the dashboard queries is in
// the scrape s of a callrec serve (histogram series by their family).
func checkDashboard(t *testing.T, s Scrape) {
	t.Helper()
	for n, panels := range dashboardMetrics(t) {
		if s[n] != nil {
			continue
		}
		found := false
		for _, suf := range []string{"_bucket", "_sum", "_count"} {
			if base, ok := strings.CutSuffix(n, suf); ok && s[base] != nil && s[base].GetType().String() == "HISTOGRAM" {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: panels %q query %s, which callrec serve does not export", dashboardPath, panels, n)
		}
	}
}

// TestGrafanaDashboardParses: the dashboard is JSON with a query on
// every panel; the metric names are checked against a real scrape after
// a recorded call in TestServeRecordsSippCall (checkCallMetrics).
func TestGrafanaDashboardParses(t *testing.T) {
	if n := len(dashboardMetrics(t)); n < 15 {
		t.Errorf("dashboard queries %d metrics", n)
	}
}
