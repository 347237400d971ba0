package demo

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Plan is a series of calls from one phone to another.
type Plan struct {
	// Calls is how many calls to place.
	Calls int
	// Talk is each call's length from the answer to the caller's BYE.
	Talk time.Duration
	// Every is the time between the starts of consecutive calls; when
	// it is shorter than Talk, consecutive calls overlap.
	Every time.Duration
}

// Run places plan.Calls calls from caller to callee (a user name at
// the caller's proxy), one every plan.Every, each in its own goroutine,
// and calls report (from those goroutines, one at a time) as each
// ends. It returns when all have ended, with the calls' errors joined.
// When ctx ends, calls in progress hang up and no more are placed.
func Run(ctx context.Context, caller *Phone, callee string, plan Plan, report func(n int, c Call, err error)) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for n := 1; n <= plan.Calls; n++ {
		if n > 1 {
			sleep(ctx, plan.Every, nil)
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := caller.Call(ctx, callee, plan.Talk)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			}
			if report != nil {
				report(n, c, err)
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
