package main

import (
	"strings"
	"testing"

	"cloudwindow/node"
)

func TestCommandsRefuseBadInvocations(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"fly"}, "unknown command"},
		{[]string{"run", "-url", "http://10.0.0.1:8080", "-duration", "1s"}, "loopback"},
		{[]string{"idle", "-url", "http://example.org"}, "loopback"},
		{[]string{"relay", "-addr", "0.0.0.0:0"}, "loopback"},
		{[]string{"run", "-duration", "0s"}, "duration"},
		{[]string{"bench", "-peer", "janus"}, "unknown -peer"},
	}
	for _, tt := range tests {
		err := run(t.Context(), tt.args)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("loadgen %s: error %v, want one about %s", strings.Join(tt.args, " "), err, tt.want)
		}
	}
}

// TestNodeRunsTheProductsMediaDefaults: the node the bench measures as
// `loadgen node` is the deployed one unless a flag says otherwise.
func TestNodeRunsTheProductsMediaDefaults(t *testing.T) {
	benchArgs := []string{"--addr", "127.0.0.1:1", "--data-dir", t.TempDir(), "--media-loopback-only",
		"--media-udp-port", "0", "--media-tcp-port", "-1", "--log-level", "warn", "--record=false"}
	o, err := parseNodeFlags(benchArgs)
	if err != nil {
		t.Fatal(err)
	}
	want := node.DefaultConfig()
	got := o.cfg
	if got.AdaptDownlink != want.AdaptDownlink || got.VideoFEC != want.VideoFEC ||
		got.AudioRedundancy != want.AudioRedundancy || got.PreconnectMedia != want.PreconnectMedia {
		t.Errorf("media features adapt %v fec %v red %d preconnect %v, want the product's %v %v %d %v",
			got.AdaptDownlink, got.VideoFEC, got.AudioRedundancy, got.PreconnectMedia,
			want.AdaptDownlink, want.VideoFEC, want.AudioRedundancy, want.PreconnectMedia)
	}
	if !got.NoRecording || !got.LoopbackOnly {
		t.Errorf("--record=false: recording off %v, loopback only %v", got.NoRecording, got.LoopbackOnly)
	}
	o, err = parseNodeFlags(append(benchArgs, "--adapt-downlink=false", "--video-fec=false", "--audio-redundancy=0"))
	if err != nil {
		t.Fatal(err)
	}
	if o.cfg.AdaptDownlink || o.cfg.VideoFEC || o.cfg.AudioRedundancy != 0 {
		t.Errorf("the flags did not turn the media features off: %+v", o.cfg)
	}
}
