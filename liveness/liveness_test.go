package liveness_test

import (
	"context"
	"os"
	"testing"
	"time"

	"cloudwindow/bus/bustest"
	"cloudwindow/liveness"
)

func TestHeartbeatTellsRunningFromStopped(t *testing.T) {
	if os.Getenv("CLOUDWINDOW_TEST_REDIS") == "" {
		t.Skip("CLOUDWINDOW_TEST_REDIS is not set")
	}
	client, prefix := bustest.OpenRedis(t)
	a, b := liveness.NewHeartbeat(client, prefix, "a"), liveness.NewHeartbeat(client, prefix, "b")
	ctx := context.Background()
	if alive, err := b.Alive(ctx, "a"); err != nil || alive {
		t.Fatalf("a never started, alive %v %v", alive, err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.Run(runCtx)
	}()
	t.Cleanup(func() { stop(); <-done })
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if alive, _ := b.Alive(ctx, "a"); alive {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a runs but is not alive")
		}
	}
	stop()
	<-done
	if alive, err := b.Alive(ctx, "a"); err != nil || alive {
		t.Fatalf("a stopped, alive %v %v", alive, err)
	}
}
