package e2e

import (
	"context"
	"sync"
	"testing"

	"cloudwindow/client"
)

// TestManyCallsSetUpAtOnceAllGetMediaBothWays starts calls whose media all
// begins at the same moment, so that every party's server offers for the
// other's tracks cross each other and the clients' ICE keepers, and checks
// that each station and agent hears the other. CLOUDWINDOW_SETUP_CALLS sets
// how many calls (12).
func TestManyCallsSetUpAtOnceAllGetMediaBothWays(t *testing.T) {
	calls := envInt("CLOUDWINDOW_SETUP_CALLS", 12)
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
	for _, m := range ms {
		wg.Add(1)
		go func() { defer wg.Done(); m.KeepICE(ctx) }()
	}
	t.Cleanup(func() { cancel(); close(stop); wg.Wait() })
	checkMediaBothWays(t, n, ocs)
}
