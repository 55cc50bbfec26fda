package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"cloudwindow/node"
)

func TestConfigPrecedenceFlagsThenEnvThenFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "cloudwindow.yaml")
	os.WriteFile(file, []byte("addr: \":9000\"\ndata-dir: /from/file\nring-timeout: 7s\nopening-hours: 全天\n"), 0o600)
	t.Setenv("CLOUDWINDOW_DATA_DIR", "/from/env")
	t.Setenv("CLOUDWINDOW_RING_TIMEOUT", "9s")
	c, _, err := parseConfig([]string{"--config", file, "--ring-timeout", "11s"})
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"flag beats env and file", c.RingTimeout, 11 * time.Second},
		{"env beats file", c.DataDir, "/from/env"},
		{"file beats default", c.Addr, ":9000"},
		{"file value", c.OpeningHours, "全天"},
		{"default", c.WrapUpTimeout, 60 * time.Second},
		{"connection limit default", c.ConnLimits.WSMaxPerAddress, 20},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s: got %v, want %v", ck.name, ck.got, ck.want)
		}
	}
}

func TestConfigRejectsBadValues(t *testing.T) {
	for _, args := range [][]string{
		{"--ring-timeout", "soon"},
		{"--log-level", "loud"},
		{"--turn", "turn:a;user"},
		{"--no-such-flag"},
		{"--ws-max-per-address", "many"},
	} {
		if _, _, err := parseConfig(args); err == nil {
			t.Errorf("%v: accepted", args)
		}
	}
}

func TestICEServersFromFlag(t *testing.T) {
	s, err := parseICEServers("turn:t.example:3478?transport=tcp,turns:t.example:5349;u;p")
	if err != nil || len(s) != 1 || len(s[0].URLs) != 2 || s[0].Username != "u" || s[0].Credential != "p" {
		t.Fatalf("got %+v, %v", s, err)
	}
}

func TestConfigAccountsAndTokens(t *testing.T) {
	t.Setenv("CLOUDWINDOW_KEY_ENCRYPTION_KEY", "a2V5")
	c, _, err := parseConfig([]string{"--trusted-proxies", "10.0.0.0/8,192.168.1.10", "--login-failures", "3"})
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if c.KeyEncryptionKey != "a2V5" || len(c.TrustedProxies) != 2 || c.LoginLimits.Failures != 3 {
		t.Fatalf("got key %q, proxies %v, limits %+v", c.KeyEncryptionKey, c.TrustedProxies, c.LoginLimits)
	}
	if _, _, err := parseConfig([]string{"--trusted-proxies", "everyone"}); err == nil {
		t.Fatal("a bad --trusted-proxies was accepted")
	}
}

func TestDiskAndUploadLimitFlags(t *testing.T) {
	t.Setenv("CLOUDWINDOW_UPLOAD_MAX_BYTES", "50MiB")
	c, _, err := parseConfig([]string{"--disk-reserve", "2GiB", "--upload-grace", "30s", "--require-recording"})
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"disk reserve", c.DiskReserve, int64(2 << 30)},
		{"upload grace", c.Uploads.Grace, 30 * time.Second},
		{"bytes per call from env", c.Uploads.MaxBytesPerCall, int64(50 << 20)},
		{"default files per call", c.Uploads.MaxFilesPerCall, 40},
		{"default bytes per station day", c.Uploads.MaxBytesPerStationDay, int64(400 << 20)},
		{"require recording", c.RequireRecording, true},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s: got %v, want %v", ck.name, ck.got, ck.want)
		}
	}
	if _, _, err := parseConfig([]string{"--disk-reserve", "lots"}); err == nil {
		t.Error("--disk-reserve lots: accepted")
	}
}

// With no flags, the command runs a node on exactly node.DefaultConfig():
// a default written anywhere else would show here.
func TestNoFlagsGiveTheNodeDefaults(t *testing.T) {
	c, level, err := parseConfig(nil)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	want := node.DefaultConfig()
	if c.Location.String() != want.Location.String() {
		t.Errorf("time zone %s, want %s", c.Location, want.Location)
	}
	c.Location, want.Location = nil, nil
	if !reflect.DeepEqual(c.Config, want) {
		t.Errorf("config without flags:\n%+v\nwant node.DefaultConfig():\n%+v", c.Config, want)
	}
	if level != slog.LevelInfo {
		t.Errorf("log level %v, want info", level)
	}
}
