package e2e

import (
	"context"
	"sync"
	"testing"

	"cloudwindow/client"
)

// TestManyCallsSetUpAtOnceAllGetMediaBothWays starts calls whose media all
// begins at the same moment, as the outage test's do, so that every party's
// server offers for the other's tracks meet the clients' session and ICE
// keepers on a busy machine, and checks that each station and agent hears
// the other. CLOUDWINDOW_SETUP_CALLS sets how many calls (10; 60–80 make a
// set-up race show within a few runs).
func TestManyCallsSetUpAtOnceAllGetMediaBothWays(t *testing.T) {
	calls := envInt("CLOUDWINDOW_SETUP_CALLS", 10)
	n, _, islandURL := outageNode(t, calls)
	ocs := make([]*outageCall, calls)
	var ms []*client.Media
	for i := range ocs {
		ocs[i] = startOutageCall(t, n, islandURL, i)
		ms = append(ms, ocs[i].sm, ocs[i].am)
	}
	waitConnected(t, ms...)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() { defer wg.Done(); sendClips(loadClip(t), ms, stop) }()
	for _, oc := range ocs {
		wg.Add(3)
		go func() { defer wg.Done(); oc.keep(ctx) }()
		go func() { defer wg.Done(); oc.sm.KeepICE(ctx) }()
		go func() { defer wg.Done(); oc.am.KeepICE(ctx) }()
	}
	t.Cleanup(func() { cancel(); close(stop); wg.Wait() })
	checkMediaBothWays(t, n, ocs)
}
