package loadgen

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"cloudwindow/client"
)

// runner holds one run: its signed-in parties and what they measured.
type runner struct {
	cfg   Config
	log   *slog.Logger
	pat   *pattern
	probe Probe
	book  *callBook
	flow  flow
	line  *startLine // nil unless the accepts wait for each other
	items []string

	stations []*client.Client
	agents   []*client.Client

	requests atomic.Int64 // call requests sent, numbering items and green shares
	finished atomic.Int64 // calls whose station side is done

	mu       sync.Mutex
	tracks   map[string]*trackAgg
	failures map[string]int // failures before a call had an id
}

// Run signs in cfg's stations and agents, drives calls until the run ends
// and reports what it measured. The error is ErrTooManyFailures (with the
// report) when more calls failed than cfg.MaxFailedShare allows.
func Run(ctx context.Context, name string, cfg Config) (*Report, error) {
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	pat, err := cfg.Media.pattern()
	if err != nil {
		return nil, err
	}
	r := &runner{
		cfg: cfg, log: cfg.Logger.With("run", name), pat: pat, items: cfg.Items,
		probe: Probe{BaseURL: cfg.BaseURL, PID: cfg.ServerPID},
		book:  newCallBook(!cfg.Media.OneWay), tracks: map[string]*trackAgg{}, failures: map[string]int{},
	}
	if cfg.AcceptTogether > 0 {
		r.line = newStartLine(cfg.AcceptTogether)
	}
	defer r.close()
	if err := r.connect(ctx); err != nil {
		return nil, err
	}
	rep, err := r.drive(ctx)
	if err != nil {
		return nil, err
	}
	rep.Name = name
	if cfg.MaxFailedShare >= 0 && rep.Calls.FailedShare() > cfg.MaxFailedShare {
		return rep, fmt.Errorf("%s: %d of %d calls failed: %w", name, rep.Calls.Failed, rep.Calls.Completed+rep.Calls.Failed, ErrTooManyFailures)
	}
	return rep, nil
}

// connect signs every agent in as ready, then every station.
func (r *runner) connect(ctx context.Context) error {
	r.agents = make([]*client.Client, r.cfg.Agents)
	var token string
	err := forEach(ctx, r.cfg.Agents, func(ctx context.Context, i int) error {
		c, tok, err := signIn(ctx, r.cfg.BaseURL, AgentUsername(i), r.cfg.Password, agentPushes())
		if err != nil {
			return err
		}
		r.agents[i] = c
		if i == 0 {
			token = tok
		}
		return setReady(ctx, c, true)
	})
	if err != nil {
		return fmt.Errorf("sign agents in: %w", err)
	}
	if len(r.items) == 0 {
		if r.items, err = catalogItems(ctx, r.cfg.BaseURL, token); err != nil {
			return err
		}
	}
	r.stations = make([]*client.Client, r.cfg.Stations)
	err = forEach(ctx, r.cfg.Stations, func(ctx context.Context, i int) error {
		c, _, err := signIn(ctx, r.cfg.BaseURL, StationUsername(i), r.cfg.Password, stationPushes())
		r.stations[i] = c
		return err
	})
	if err != nil {
		return fmt.Errorf("sign stations in: %w", err)
	}
	return nil
}

// drive runs the calls: agents answer, the scheduler starts calls, and the
// watcher measures until the run is over; then every call is hung up.
func (r *runner) drive(ctx context.Context) (*Report, error) {
	start := time.Now()
	begin, err := r.mark(ctx)
	if err != nil {
		return nil, err
	}
	callCtx, stopCalls := context.WithCancel(ctx)
	defer stopCalls()
	var wg sync.WaitGroup
	for _, a := range r.agents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.agentLoop(callCtx, a)
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		r.schedule(callCtx, &wg)
	}()
	first, last, inMedia, err := r.watch(ctx, start)
	stopCalls()
	wg.Wait()
	if err != nil {
		return nil, err
	}
	rep := r.report(start, windowBetween(first, last, inMedia))
	end, _ := r.mark(ctx)
	rep.Whole = wholeRun(begin, end)
	return rep, nil
}

// schedule starts calls at the configured rate, each on an idle station
// and within MaxCalls, until ctx ends or TotalCalls have started.
func (r *runner) schedule(ctx context.Context, wg *sync.WaitGroup) {
	idle := make(chan *client.Client, len(r.stations))
	for _, s := range r.stations {
		idle <- s
	}
	slots := make(chan struct{}, r.cfg.MaxCalls)
	var tick <-chan time.Time
	if r.cfg.CallRate > 0 {
		t := time.NewTicker(time.Duration(float64(time.Second) / r.cfg.CallRate))
		defer t.Stop()
		tick = t.C
	}
	for n := 0; r.cfg.TotalCalls == 0 || n < r.cfg.TotalCalls; n++ {
		st, ok := r.nextStart(ctx, tick, slots, idle)
		if !ok {
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots; idle <- st }()
			r.stationCall(ctx, st)
		}()
	}
}

// nextStart waits for the rate tick, a free call slot and an idle station.
func (r *runner) nextStart(ctx context.Context, tick <-chan time.Time, slots chan struct{}, idle chan *client.Client) (*client.Client, bool) {
	if tick != nil {
		select {
		case <-ctx.Done():
			return nil, false
		case <-tick:
		}
	}
	select {
	case <-ctx.Done():
		return nil, false
	case slots <- struct{}{}:
	}
	select {
	case <-ctx.Done():
		<-slots
		return nil, false
	case st := <-idle:
		return st, true
	}
}

// watch marks the measurement window: it opens when MaxCalls calls carry
// media (or at Warmup) and closes at Duration, Hold after it opened, or when
// TotalCalls have finished. inMedia is the number of calls carrying media
// when it opened.
func (r *runner) watch(ctx context.Context, start time.Time) (first, last windowMark, inMedia int, err error) {
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	var opened time.Time
	for {
		select {
		case <-ctx.Done():
			return first, last, 0, ctx.Err()
		case <-tick.C:
		}
		now := time.Since(start)
		if n := r.book.inMedia(); opened.IsZero() && (n >= r.cfg.MaxCalls || now >= r.cfg.Warmup) {
			if first, err = r.mark(ctx); err != nil {
				return first, last, 0, err
			}
			opened, inMedia = time.Now(), n
		}
		if r.over(now, opened) {
			last, err = r.mark(ctx)
			if opened.IsZero() {
				first = last // never steady: an empty window
			}
			return first, last, inMedia, err
		}
	}
}

func (r *runner) over(elapsed time.Duration, opened time.Time) bool {
	switch {
	case elapsed >= r.cfg.Duration:
		return true
	case r.cfg.Hold > 0 && !opened.IsZero() && time.Since(opened) >= r.cfg.Hold:
		return true
	case r.cfg.TotalCalls > 0 && r.finished.Load() >= int64(r.cfg.TotalCalls):
		return true
	}
	return false
}

func (r *runner) mark(ctx context.Context) (windowMark, error) {
	s, err := r.probe.Sample(ctx)
	if err != nil {
		return windowMark{}, fmt.Errorf("sample node: %w", err)
	}
	return windowMark{
		server: s, selfCPU: selfCPU(), machine: machineCPU(), udpDrops: udpReceiveDrops(),
		received: r.flow.received.Load(), expected: r.flow.expected.Load(),
	}, nil
}

func (r *runner) close() {
	for _, c := range append(r.stations, r.agents...) {
		if c != nil {
			c.Close()
		}
	}
}

// forEach runs fn for 0..n-1 on a few goroutines and returns the first
// error; signing in thousands of clients one at a time would take minutes.
func forEach(parent context.Context, n int, fn func(ctx context.Context, i int) error) error {
	const workers = 16
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	next := make(chan int)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(ctx, i); err != nil {
					errs <- err
					cancel()
					return
				}
			}
		}()
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	return parent.Err()
}
