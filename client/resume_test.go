package client

import (
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// TestICERepairRule walks KeepICE's rule through the states a media
// connection goes through in an outage, on a clock the test moves.
func TestICERepairRule(t *testing.T) {
	const (
		connected    = webrtc.PeerConnectionStateConnected
		disconnected = webrtc.PeerConnectionStateDisconnected
		failed       = webrtc.PeerConnectionStateFailed
		connecting   = webrtc.PeerConnectionStateConnecting
	)
	start := time.Now()
	tests := []struct {
		name        string
		st          webrtc.PeerConnectionState
		at          time.Duration // since start
		badSince    time.Duration // -1: not disconnected before
		lastRestart time.Duration // -1: never restarted
		want        bool
	}{
		{"connected", connected, time.Minute, 0, -1, false},
		{"failed: at once", failed, time.Second, -1, -1, true},
		{"disconnected: first seen", disconnected, time.Second, -1, -1, false},
		{"disconnected: within the grace", disconnected, 4*time.Second - time.Millisecond, 0, -1, false},
		{"disconnected: past the grace", disconnected, 4 * time.Second, 0, -1, true},
		{"connecting: the first connection is not ours to restart", connecting, time.Minute, -1, -1, false},
		{"connecting: a restart still checking", connecting, 9 * time.Second, -1, 0, false},
		{"connecting: a restart that did not connect in 10 s", connecting, 10 * time.Second, -1, 0, true},
	}
	at := func(d time.Duration) time.Time {
		if d < 0 {
			return time.Time{}
		}
		return start.Add(d)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bad := at(tc.badSince)
			if got := iceNeedsRestart(tc.st, at(tc.at), &bad, at(tc.lastRestart)); got != tc.want {
				t.Errorf("restart = %v, want %v", got, tc.want)
			}
			if tc.st == connected && !bad.IsZero() {
				t.Errorf("a connected state left the disconnection time set")
			}
		})
	}
}
