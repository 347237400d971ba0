package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/callrec/callrec/internal/apiclient"
)

func init() {
	register("record", "control a live call's recording (start | stop | pause | resume CALL-ID)", runRecord)
}

func runRecord(ctx context.Context, args []string) error {
	a := newAPIFlags("record", `usage: callrec record start CALL-ID [--profile NAME] [--label KEY=VALUE ...] [--keywords cancel,refund/1e-25]
       callrec record stop|pause|resume CALL-ID

Controls the recording of a call in progress, one API request each:
start (POST /api/calls/CALL-ID/record; a call not anchored is first
moved through the media node with re-INVITEs), stop (DELETE; the media
stays anchored until the call ends), pause and resume
(POST .../record/pause, .../record/resume). Prints the call's state afterwards. Needs an admin
token.`)
	request := recordFlags(a.fs, "start: ")
	words, err := a.parse(args)
	if err != nil {
		return err
	}
	if len(words) != 2 {
		a.fs.Usage()
		return fmt.Errorf("record: want start|stop|pause|resume CALL-ID, got %q", words)
	}
	switch words[0] {
	case "start", "stop", "pause", "resume":
	default:
		a.fs.Usage()
		return fmt.Errorf("record: unknown action %q (want start, stop, pause or resume)", words[0])
	}
	cl, err := a.client()
	if err != nil {
		return err
	}
	return recordOp(ctx, a, cl, words[0], words[1], request())
}

// recordOp runs one of start, stop, pause, resume on callID and prints
// the call afterwards.
func recordOp(ctx context.Context, a *apiFlags, cl *apiclient.Client, op, callID string, req *apiclient.RecordRequest) error {
	var res *apiclient.CallResult
	var raw []byte
	var err error
	switch op {
	case "start":
		res, raw, err = cl.Record(ctx, callID, req)
	case "stop":
		res, raw, err = cl.StopRecord(ctx, callID)
	case "pause":
		res, raw, err = cl.Pause(ctx, callID)
	case "resume":
		res, raw, err = cl.Resume(ctx, callID)
	}
	if err != nil {
		return err
	}
	return a.output(raw, func(w *tabwriter.Writer) {
		fmt.Fprintf(w, "%s\tanchored=%v\trecording=%v\n", res.Call.CallID, res.Call.Anchored, res.Call.Recording)
	})
}
