package loadgen

import (
	"context"
	"fmt"
	"time"

	"cloudwindow/client"
)

// partyMedia is one side's PeerConnection in a call: what it receives and,
// unless the call is one-way and this is the agent, what it sends.
type partyMedia struct {
	party    string
	media    *client.Media
	recv     *receiver
	send     *sender // nil when this side only receives
	stopSend context.CancelFunc
	sendDone chan struct{}
}

// startMedia negotiates party's PeerConnection for the call and starts
// sending as soon as it connects, as a browser does.
func (r *runner) startMedia(ctx context.Context, c *client.Client, rec *callRecord, party string) (*partyMedia, error) {
	recv := newReceiver(party, &r.flow, func() { rec.firstMedia(party, time.Now()) })
	// Negotiation runs to its end even when the run stops meanwhile, so the
	// call is torn down from a known state.
	nctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), replyTimeout)
	defer cancel()
	m, err := c.StartMedia(nctx, rec.id, client.MediaOptions{OnPacket: recv.onPacket})
	if err != nil {
		return nil, fmt.Errorf("start %s media: %w", party, err)
	}
	rec.set(&rec.negotiated[side(party)], time.Now())
	sendCtx, stop := context.WithCancel(context.Background())
	pm := &partyMedia{party: party, media: m, recv: recv, stopSend: stop, sendDone: make(chan struct{})}
	if party != "agent" || !r.cfg.Media.OneWay {
		pm.send = &sender{pat: r.pat, video: m.Tracks["camera"], audio: m.Tracks["audio"]}
		m.ReadFeedback(pm.send.requestKeyframe)
	}
	go func() {
		defer close(pm.sendDone)
		if !waitConnected(sendCtx, m) {
			return
		}
		rec.set(&rec.connected[side(party)], time.Now())
		if pm.send != nil {
			pm.send.run(sendCtx)
		}
	}()
	return pm, nil
}

// waitConnected polls until the PeerConnection is connected; pion's state
// callback belongs to the client, and a few milliseconds do not matter
// next to a DTLS handshake.
func waitConnected(ctx context.Context, m *client.Media) bool {
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(mediaTimeout)
	for !m.Connected() {
		select {
		case <-ctx.Done():
			return false
		case <-deadline:
			return false
		case <-tick.C:
		}
	}
	return true
}

// stop ends the sending, closes the PeerConnection and hands the figures
// to the run.
func (r *runner) stopMedia(pm *partyMedia) {
	pm.stopSend()
	<-pm.sendDone
	pm.media.Close()
	r.collect(pm)
}
