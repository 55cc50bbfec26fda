package signaling

import (
	"fmt"
	"time"

	"github.com/pion/webrtc/v4"

	"cloudwindow/calls"
)

// Timeline events of a party's media connection: a supervisor reviewing the
// recording sees where, and for how long, the link was gone.
const (
	eventMediaLost     = "media_lost"
	eventMediaRestored = "media_restored"
)

// noteMediaState marks a gap in a participant's media on the call's timeline: once
// when its connection is lost, once when it is back (with the gap's length).
// The recording pauses over the gap; these events say why.
func (c *call) noteMediaState(who *participant, st webrtc.PeerConnectionState, now time.Time) {
	if c.events == nil {
		return
	}
	c.mu.Lock()
	p := who.party
	lostAt, lost := c.mediaLost[p]
	var ev *calls.Event
	switch {
	case !lost && (st == webrtc.PeerConnectionStateDisconnected || st == webrtc.PeerConnectionStateFailed):
		c.mediaLost[p] = now
		ev = &calls.Event{At: now, Type: eventMediaLost, Actor: p}
	case lost && st == webrtc.PeerConnectionStateConnected:
		delete(c.mediaLost, p)
		gap := now.Sub(lostAt).Round(100 * time.Millisecond)
		ev = &calls.Event{At: now, Type: eventMediaRestored, Actor: p, Detail: fmt.Sprintf("%.1f s", gap.Seconds())}
	}
	ended := c.ended
	c.mu.Unlock()
	if ev != nil && !ended {
		c.events.add(c.id, *ev)
	}
}
