package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/callrec/callrec/internal/apiclient"
)

func init() {
	register("recordings", "search, show, download or delete recordings (ls | show ID | get ID | rm ID)", runRecordings)
}

func runRecordings(ctx context.Context, args []string) error {
	a := newAPIFlags("recordings", `usage: callrec recordings ls [--party P] [--from T] [--to T] [--status S] [--label K=V] [--keyword W] [--limit N] [--all] ...
       callrec recordings show ID
       callrec recordings get ID [-o FILE] [--continue]
       callrec recordings rm ID

Works on the recordings catalogue of a running callrec serve through its
HTTP API. ID is a recording's catalogue id (the ID column of ls) or its
key. "ls" searches (GET /api/recordings), newest first, one page of
--limit unless --all follows the cursor; --cursor starts at a page ls
printed. "show" prints one recording's metadata, per-leg quality and
events. "get" downloads the audio (GET .../audio) to -o (default: the
key's file name, "-" for stdout) and checks its SHA-256 against the
catalogue; --continue resumes a partial file with a Range request. "rm"
deletes the audio and marks the row deleted (admin token; refused for
a recording under legal hold or still recording).`)
	var q apiclient.Query
	a.fs.StringVar(&q.Party, "party", "", "ls: caller or callee contains this")
	a.fs.StringVar(&q.Number, "number", "", "ls: caller or callee number starts with this")
	a.fs.StringVar(&q.From, "from", "", "ls: started at or after (RFC 3339, YYYY-MM-DD or Unix seconds)")
	a.fs.StringVar(&q.To, "to", "", "ls: started before")
	a.fs.StringVar(&q.Status, "status", "", "ls: recording, complete, interrupted, failed or deleted")
	a.fs.StringVar(&q.Label, "label", "", "ls: has label KEY=VALUE (or KEY)")
	a.fs.StringVar(&q.Event, "event", "", "ls: has an event: TYPE or TYPE=VALUE (dtmf, dtmf=5, keyword=refund)")
	a.fs.StringVar(&q.Keyword, "keyword", "", "ls: this keyword was spotted (same as --event keyword=W)")
	a.fs.StringVar(&q.CallID, "call-id", "", "ls: of this SIP Call-ID")
	a.fs.StringVar(&q.MinDuration, "min-duration", "", "ls: at least this long (10s, 1m)")
	a.fs.StringVar(&q.MaxDuration, "max-duration", "", "ls: at most this long")
	a.fs.StringVar(&q.Cursor, "cursor", "", "ls: start at this page (next_cursor of an earlier ls)")
	a.fs.IntVar(&q.Limit, "limit", 50, "ls: recordings per page (at most 1000)")
	all := a.fs.Bool("all", false, "ls: follow the cursor to the last page (the table only; --json prints each page)")
	out := a.fs.String("o", "", "get: write the audio here (\"-\": stdout)")
	cont := a.fs.Bool("continue", false, "get: resume a partial -o file from its size")
	words, err := a.parse(args)
	if err != nil {
		return err
	}
	cl, err := a.client()
	if err != nil {
		return err
	}
	switch {
	case len(words) == 1 && words[0] == "ls":
		return recordingsLs(ctx, a, cl, q, *all)
	case len(words) == 2 && words[0] == "show":
		return recordingShow(ctx, a, cl, words[1])
	case len(words) == 2 && words[0] == "get":
		return recordingGet(ctx, cl, words[1], *out, *cont)
	case len(words) == 2 && words[0] == "rm":
		if err := cl.DeleteRecording(ctx, words[1]); err != nil {
			return err
		}
		fmt.Println("deleted", words[1])
		return nil
	}
	a.fs.Usage()
	return fmt.Errorf("recordings: want ls, show ID, get ID or rm ID, got %q", words)
}

func recordingsLs(ctx context.Context, a *apiFlags, cl *apiclient.Client, q apiclient.Query, all bool) error {
	var rows []apiclient.Recording
	next := ""
	for {
		p, raw, err := cl.Recordings(ctx, q)
		if err != nil {
			return err
		}
		if *a.asJSON {
			if err := a.output(raw, nil); err != nil {
				return err
			}
		}
		rows, next = append(rows, p.Items...), p.Next
		if !all || p.Next == "" {
			break
		}
		q.Cursor = p.Next
	}
	if *a.asJSON {
		return nil
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tSTARTED\tDURATION\tCALLER\tCALLEE\tSTATUS\tSIZE\tLABELS")
	for _, r := range rows {
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", r.ID, r.Started.UTC().Format(time.RFC3339),
			(time.Duration(r.Duration * float64(time.Second))).Round(time.Second), r.Caller, r.Callee, r.Status, r.Size, labelString(r.Labels))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if next != "" {
		fmt.Fprintf(os.Stderr, "more: --cursor %s\n", next)
	}
	return nil
}

func labelString(l map[string]string) string {
	ks := make([]string, 0, len(l))
	for k := range l {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	for i, k := range ks {
		ks[i] = k + "=" + l[k]
	}
	return dash(strings.Join(ks, ","))
}

func recordingShow(ctx context.Context, a *apiFlags, cl *apiclient.Client, id string) error {
	r, raw, err := cl.Recording(ctx, id)
	if err != nil {
		return err
	}
	return a.output(raw, func(w *tabwriter.Writer) {
		for _, kv := range [][2]string{
			{"id", fmt.Sprint(r.ID)}, {"key", r.Key}, {"call-id", r.CallID}, {"caller", r.Caller}, {"callee", r.Callee},
			{"started", r.Started.UTC().Format(time.RFC3339Nano)}, {"ended", r.Ended.UTC().Format(time.RFC3339Nano)},
			{"duration", fmt.Sprintf("%.3fs", r.Duration)}, {"status", r.Status}, {"reason", r.Reason},
			{"profile", r.Profile}, {"format", r.Format}, {"codecs", r.Codecs}, {"size", fmt.Sprint(r.Size)},
			{"checksum", r.Checksum}, {"location", r.Location}, {"node", r.Node}, {"labels", labelString(r.Labels)},
		} {
			if kv[1] != "" {
				fmt.Fprintf(w, "%s:\t%s\n", kv[0], kv[1])
			}
		}
		for _, l := range r.Legs {
			fmt.Fprintf(w, "leg %s:\t%d packets, %d lost (%.2f%%), jitter %.1f ms, MOS %.2f\n", l.Party, l.Packets, l.Lost, 100*l.Loss, l.JitterMs, l.MOS)
		}
		for _, e := range r.Events {
			fmt.Fprintf(w, "event %.2fs:\t%s %s %s", e.At, e.Type, e.Party, e.Value)
			if e.Confidence > 0 {
				fmt.Fprintf(w, " (%.2f, %s)", e.Confidence, e.Source)
			}
			fmt.Fprintln(w)
		}
	})
}

// recordingGet downloads the audio of id to out and checks it against
// the catalogue's size and checksum.
func recordingGet(ctx context.Context, cl *apiclient.Client, id, out string, cont bool) error {
	r, _, err := cl.Recording(ctx, id)
	if err != nil {
		return err
	}
	if out == "" {
		out = path.Base(r.Key)
		if ext := path.Ext(r.Location); ext != "" && path.Ext(out) != ext {
			out += ext
		}
	}
	var w io.Writer = os.Stdout
	var offset int64
	var f *os.File
	if out != "-" {
		flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
		if cont {
			flags = os.O_WRONLY | os.O_CREATE | os.O_APPEND
		}
		if f, err = os.OpenFile(out, flags, 0o644); err != nil {
			return err
		}
		defer f.Close()
		if cont {
			st, err := f.Stat()
			if err != nil {
				return err
			}
			offset = st.Size()
		}
		w = f
	}
	d, err := cl.Audio(ctx, id, offset, w)
	if err != nil {
		return err
	}
	if f != nil {
		if err := f.Close(); err != nil {
			return err
		}
	}
	sum := d.SHA256
	if offset > 0 { // hash the whole file, not the tail fetched
		if sum, err = apiclient.FileSHA256(out); err != nil {
			return err
		}
	}
	if r.Checksum != "" && r.Status != "recording" && sum != r.Checksum {
		return fmt.Errorf("recordings: %s: downloaded %s, catalogue says %s", out, sum, r.Checksum)
	}
	if out != "-" {
		fmt.Fprintf(os.Stderr, "%s: %d bytes, %s\n", out, offset+d.Bytes, sum)
	}
	return nil
}
