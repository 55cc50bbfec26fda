package loadgen

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"

	"cloudwindow/client"
)

// partyMedia is one side's PeerConnection in a call: what it receives and,
// unless the call is one-way and this is the agent, what it sends.
type partyMedia struct {
	party    string
	media    *client.Media
	recv     atomic.Pointer[receiver] // nil until the connection serves a call
	send     *sender                  // nil when this side only receives
	stopSend context.CancelFunc
	sendDone chan struct{}
}

// onPacket hands a packet to the call's receiver.
func (pm *partyMedia) onPacket(stream, track string, p *rtp.Packet) {
	if recv := pm.recv.Load(); recv != nil {
		recv.onPacket(stream, track, p)
	}
}

// serve makes pm's receiver measure rec.
func (r *runner) serve(pm *partyMedia, rec *callRecord) {
	pm.recv.Store(newReceiver(pm.party, &r.flow, func() { rec.firstMedia(pm.party, time.Now()) }))
}

// startMedia negotiates party's PeerConnection for the call and starts
// sending as soon as it connects, as a browser does.
func (r *runner) startMedia(ctx context.Context, c *client.Client, rec *callRecord, party string) (*partyMedia, error) {
	pm, err := r.openMedia(ctx, c, party, rec.id, rec)
	if err != nil {
		return nil, err
	}
	rec.set(&rec.negotiated[side(party)], time.Now())
	return pm, nil
}

// openMedia negotiates a PeerConnection under callID and sends on it once
// it connects. rec is the call it carries from the start, measured from the
// first packet on; nil for a standing connection (client.StandbyCallID),
// which serves the call that adopts it.
func (r *runner) openMedia(ctx context.Context, c *client.Client, party, callID string, rec *callRecord) (*partyMedia, error) {
	pm := &partyMedia{party: party, sendDone: make(chan struct{})}
	if rec != nil {
		r.serve(pm, rec)
	}
	// Negotiation runs to its end even when the run stops meanwhile, so the
	// call is torn down from a known state.
	nctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), replyTimeout)
	defer cancel()
	m, err := c.StartMedia(nctx, callID, client.MediaOptions{OnPacket: pm.onPacket})
	if err != nil {
		return nil, fmt.Errorf("start %s media: %w", party, err)
	}
	pm.media = m
	sendCtx, stop := context.WithCancel(context.Background())
	pm.stopSend = stop
	if party != "agent" || !r.cfg.Media.OneWay {
		pm.send = &sender{pat: r.pat, video: m.Tracks["camera"], audio: m.Tracks["audio"]}
		m.ReadFeedback(pm.send.requestKeyframe)
	}
	go func() {
		defer close(pm.sendDone)
		if !waitConnected(sendCtx, m) {
			return
		}
		if rec != nil {
			rec.set(&rec.connected[side(party)], time.Now())
		}
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
	return pollUntil(ctx, mediaTimeout, m.Connected)
}

// pollUntil checks cond every 2 ms until it holds (true), wait has passed
// or ctx ends.
func pollUntil(ctx context.Context, wait time.Duration, cond func() bool) bool {
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(wait)
	for !cond() {
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
// of the call it served, if any, to the run.
func (r *runner) stopMedia(pm *partyMedia) {
	pm.stopSend()
	<-pm.sendDone
	pm.media.Close()
	if pm.recv.Load() != nil {
		r.collect(pm)
	}
}
