package main

import (
	"strings"
	"testing"
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
