package node

import (
	"path/filepath"
	"testing"
)

// A Config left empty runs on DefaultConfig's values, so a node built in
// code behaves as the command's does.
func TestEmptyConfigTakesDefaultConfig(t *testing.T) {
	var c Config
	c.setDefaults()
	d := DefaultConfig()
	checks := []struct {
		name      string
		got, want any
	}{
		{"addr", c.Addr, d.Addr},
		{"opening hours", c.OpeningHours, d.OpeningHours},
		{"node name", c.NodeName, d.NodeName},
		{"ring timeout", c.RingTimeout, d.RingTimeout},
		{"wrap-up", c.WrapUpTimeout, d.WrapUpTimeout},
		{"resume grace", c.ResumeGrace, d.ResumeGrace},
		{"http read timeout", c.ConnLimits.HTTPReadTimeout, d.ConnLimits.HTTPReadTimeout},
		{"max connections", c.ConnLimits.MaxConnections, d.ConnLimits.MaxConnections},
		{"store", c.DatabaseURL, filepath.Join(d.DataDir, "cloudwindow.db")},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s: got %v, want %v", ck.name, ck.got, ck.want)
		}
	}
}
