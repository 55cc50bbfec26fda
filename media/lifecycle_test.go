package media

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.uber.org/goleak"
)

// value reads a counter or gauge.
func value(t *testing.T, m prometheus.Metric) float64 {
	t.Helper()
	var d dto.Metric
	if err := m.Write(&d); err != nil {
		t.Fatal(err)
	}
	if d.Counter != nil {
		return d.Counter.GetValue()
	}
	return d.Gauge.GetValue()
}

// TestMain fails the package if any test leaves a goroutine behind.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestRoomCloseReleasesEveryGoroutine(t *testing.T) {
	defer goleak.VerifyNone(t)

	reg := prometheus.NewRegistry()
	s, err := New(Config{LoopbackOnly: true, Logger: quietLogger(), Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.NewRoom("call-leak")
	if err != nil {
		t.Fatal(err)
	}
	rec := newSinkRecorder()
	r.AddSink(rec.factory)
	station, agent := startCall(t, r, clientOptions{}, clientOptions{})
	if got := value(t, s.metrics.peersConnected); got != 2 {
		t.Errorf("peers_connected = %v, want 2", got)
	}
	if got := value(t, s.metrics.roomsOpen); got != 1 {
		t.Errorf("rooms_open = %v, want 1", got)
	}

	r.Close()
	r.Close() // idempotent
	select {
	case <-r.Done():
	default:
		t.Errorf("Done not closed after Close")
	}
	if s.Room("call-leak") != nil {
		t.Errorf("closed room still listed")
	}
	if _, err := r.Join("late", "agent", testSignaler{}); err == nil {
		t.Errorf("joined a closed room")
	}
	for _, k := range []string{"station/camera", "station/audio", "agent/camera", "agent/audio"} {
		if sk := rec.sink(k); sk == nil || !sk.closed {
			t.Errorf("sink %s not closed with the room", k)
		}
	}
	if got := value(t, s.metrics.peersConnected); got != 0 {
		t.Errorf("peers_connected after close = %v, want 0", got)
	}
	if got := value(t, s.metrics.roomsOpen); got != 0 {
		t.Errorf("rooms_open after close = %v, want 0", got)
	}
	if got := value(t, s.metrics.forwardedPackets); got == 0 {
		t.Errorf("forwarded_packets_total = 0 after a call")
	}
	if families, err := reg.Gather(); err != nil || len(families) != 10 {
		t.Errorf("registry holds %d media series (err %v), want 10", len(families), err)
	}
	// Deferred checks run before t.Cleanup, so the clients are closed here.
	station.close()
	agent.close()
	if err := s.Close(); err != nil {
		t.Errorf("close sfu: %v", err)
	}
}

func TestSFUAndRoomAPIContracts(t *testing.T) {
	s := newTestSFU(t)
	if s.UDPPort() <= 0 || s.TCPPort() <= 0 {
		t.Errorf("ports = %d/%d, want picked free ports", s.UDPPort(), s.TCPPort())
	}
	r := newTestRoom(t, s, "call-api")
	if _, err := s.NewRoom("call-api"); err == nil {
		t.Errorf("second room with the same id accepted")
	}
	if s.Room("call-api") != r || s.Room("nope") != nil {
		t.Errorf("Room lookup is wrong")
	}
	sig := testSignaler{}
	if _, err := r.Join("p1", "agent", sig); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Join("p1", "agent", sig); err == nil {
		t.Errorf("same peer id joined twice")
	}
	if _, err := r.Join("", "agent", sig); err == nil {
		t.Errorf("empty peer id accepted")
	}
	r.Leave("p1")
	r.Leave("p1") // unknown by now: no-op
	if _, ok := r.Stats().Peers["p1"]; ok {
		t.Errorf("peer still in stats after Leave")
	}

	noTCP, err := New(Config{LoopbackOnly: true, TCPPort: -1, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer noTCP.Close()
	if noTCP.TCPPort() != -1 {
		t.Errorf("TCPPort with ICE-TCP disabled = %d, want -1", noTCP.TCPPort())
	}
	for _, cfg := range []Config{{UDPPort: -1}, {UDPPort: 70000}, {TCPPort: 70000}, {PublicIPs: []string{"not-an-ip"}}} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) accepted a bad config", cfg)
		}
	}
	reg := prometheus.NewRegistry()
	first, err := New(Config{LoopbackOnly: true, Registerer: reg, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	if _, err := New(Config{LoopbackOnly: true, Registerer: reg, Logger: quietLogger()}); err == nil {
		t.Errorf("two SFUs registered the same metrics")
	}
}
