package e2e

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"go.uber.org/goleak"

	"cloudwindow/client"
)

// receivedLog keeps what one side received, checking each payload against
// the one the sender built for that number.
type receivedLog struct {
	mu      sync.Mutex
	counts  map[string]int
	corrupt int
}

func (r *receivedLog) onPacket(stream, track string, p *rtp.Packet) {
	n, ok := client.PayloadNumber(track, p.Payload)
	want := client.OpusPayload(n)
	if track != "audio" {
		want = client.VP8Payload(n, 25)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !ok || !bytes.Equal(p.Payload, want) {
		r.corrupt++
		return
	}
	r.counts[stream+"/"+track]++
}

func (r *receivedLog) snapshot() (map[string]int, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int{}
	for k, v := range r.counts {
		out[k] = v
	}
	return out, r.corrupt
}

// startCall runs the queue part: station asks, agent1 gets the offer and
// accepts. It returns the call id.
func startCall(t *testing.T, station, agent *client.Client, item string) string {
	t.Helper()
	queued := request(t, station, "call.request", map[string]any{"item_id": item})
	reqID := field[string](t, queued, "request_id")
	offer := next(t, agent, "call.offer")
	if got := field[string](t, offer, "request_id"); got != reqID {
		t.Fatalf("agent offered %s, want %s", got, reqID)
	}
	started := request(t, agent, "call.accept", map[string]string{"request_id": reqID})
	callID := field[string](t, started, "call_id")
	if got := field[string](t, next(t, station, "call.started"), "call_id"); got != callID {
		t.Fatalf("station started call %s, agent %s", got, callID)
	}
	return callID
}

func TestCallCarriesMediaBothWaysAndHangupFreesEverything(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	n := startNode(t, nil)
	station, agent := dial(t, n, "station1"), dial(t, n, "agent1")
	ready(t, agent)
	callID := startCall(t, station, agent, itemOf(t, n, "medical_insurance"))

	atStation, atAgent := &receivedLog{counts: map[string]int{}}, &receivedLog{counts: map[string]int{}}
	ctx := ctxT(t)
	sm, err := station.StartMedia(ctx, callID, client.MediaOptions{Document: true, OnPacket: atStation.onPacket})
	if err != nil {
		t.Fatalf("station media: %v", err)
	}
	am, err := agent.StartMedia(ctx, callID, client.MediaOptions{OnPacket: atAgent.onPacket})
	if err != nil {
		t.Fatalf("agent media: %v", err)
	}
	want := map[*receivedLog][]string{
		atAgent:   {"station-main/camera", "station-main/audio", "station-document/document"},
		atStation: {"agent-main/camera", "agent-main/audio"},
	}
	sendUntil(t, []*client.Media{sm, am}, func() bool {
		for log, keys := range want {
			got, _ := log.snapshot()
			for _, k := range keys {
				if got[k] < 50 {
					return false
				}
			}
		}
		return true
	})
	for log, keys := range want {
		got, corrupt := log.snapshot()
		if corrupt > 0 {
			t.Errorf("%d packets arrived altered", corrupt)
		}
		if len(got) != len(keys) {
			t.Errorf("received tracks %v, want exactly %v", got, keys)
		}
	}

	request(t, station, "call.hangup", map[string]string{"call_id": callID})
	for _, c := range []*client.Client{station, agent} {
		ended := next(t, c, "call.ended")
		if field[string](t, ended, "by") != "station" || field[string](t, ended, "reason") != "hangup" {
			t.Errorf("call.ended %s", ended.Data)
		}
	}
	if n.SFU.Room(callID) != nil {
		t.Errorf("room %s still open after hang-up", callID)
	}
	waitAgentState(t, agent, "wrap_up")
	request(t, agent, "call.wrapup", map[string]string{"call_id": callID, "outcome": "done", "notes": "已当场办结"})
	waitAgentState(t, agent, "ready")
	rec, err := n.Calls.Get(context.Background(), callID)
	if err != nil || rec.Outcome != "done" || rec.EndReason != "hangup" || rec.EndedAt.IsZero() {
		t.Errorf("stored call: %+v, %v", rec, err)
	}
	sm.Close()
	am.Close()
	station.Close()
	agent.Close()
	n.Close()
}

// sendUntil paces synthetic frames on every media until done reports true.
func sendUntil(t *testing.T, ms []*client.Media, done func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	tick := time.NewTicker(client.FrameInterval)
	defer tick.Stop()
	for n := uint32(0); !done(); n++ {
		if time.Now().After(deadline) {
			t.Fatalf("media did not arrive in time")
		}
		for _, m := range ms {
			m.SendSynthetic(n)
		}
		<-tick.C
	}
}

func TestHangupByAgentEndsCallForBoth(t *testing.T) {
	n := startNode(t, nil)
	station, agent := dial(t, n, "station1"), dial(t, n, "agent1")
	ready(t, agent)
	callID := startCall(t, station, agent, itemOf(t, n, "social_security"))
	request(t, agent, "call.hangup", map[string]string{"call_id": callID})
	for _, c := range []*client.Client{station, agent} {
		if by := field[string](t, next(t, c, "call.ended"), "by"); by != "agent" {
			t.Errorf("ended by %s, want agent", by)
		}
	}
	if n.SFU.Room(callID) != nil {
		t.Errorf("room still open")
	}
	// The resident rates the call, once.
	request(t, station, "rating.submit", map[string]any{"call_id": callID, "score": 5, "comment": "很耐心"})
	if _, err := station.Request(ctxT(t), "rating.submit", map[string]any{"call_id": callID, "score": 1}); client.ErrCode(err) != "duplicate" {
		t.Errorf("second rating: %v, want duplicate", err)
	}
	// The station can ask again at once.
	request(t, station, "call.request", map[string]any{"item_id": itemOf(t, n, "social_security")})
	_ = context.Background()
}
