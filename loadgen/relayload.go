package loadgen

import (
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
)

// RelayConfig describes a baseline run through a relay (see ServeRelay).
type RelayConfig struct {
	Addr     string // the relay, on loopback
	PID      int    // the relay's process, for its CPU time; 0: not measured
	Calls    int    // pairs of legs, as the calls of an SFU run
	Media    Media  // the same pattern as the SFU run
	Duration time.Duration
}

// RelayReport is what the relay did with the pattern.
type RelayReport struct {
	Calls               int     `json:"calls"`
	OneWay              bool    `json:"one_way"`
	Seconds             float64 `json:"seconds"`
	Sent                uint64  `json:"sent"`
	Received            uint64  `json:"received"`
	LossPct             float64 `json:"loss_pct"`
	RelayCPUSeconds     float64 `json:"relay_cpu_s"`
	RelayCores          float64 `json:"relay_cores"`
	ForwardedPPS        float64 `json:"forwarded_pps"`
	PacketsPerCPUSecond float64 `json:"forwarded_per_relay_cpu_s"`
	LoadgenCores        float64 `json:"loadgen_cores"`
	UDPReceiveDrops     uint64  `json:"udp_receive_drops"` // machine-wide
	CPUPressurePct      float64 `json:"cpu_pressure_pct"`
}

// relayWarmup passes before the window opens, so every leg is sending.
const relayWarmup = 2 * time.Second

// udpLeg is one party's socket to the relay.
type udpLeg struct {
	conn     *net.UDPConn
	sent     *atomic.Uint64
	received *atomic.Uint64
	buf      []byte
}

// WriteRTP sends the packet as plain RTP.
func (l *udpLeg) WriteRTP(p *rtp.Packet) error {
	n, err := p.Header.MarshalTo(l.buf)
	if err != nil {
		return err
	}
	b := append(l.buf[:n], p.Payload...)
	if _, err := l.conn.Write(b); err != nil {
		return err
	}
	l.sent.Add(1)
	return nil
}

// RelayBaseline sends the packet pattern of rc.Calls calls through the
// relay for rc.Duration and measures what arrives and what the relay's
// process spent.
func RelayBaseline(ctx context.Context, rc RelayConfig) (*RelayReport, error) {
	if err := CheckLoopback("udp://" + rc.Addr); err != nil {
		return nil, err
	}
	m := rc.Media.withDefaults()
	pat, err := m.pattern()
	if err != nil {
		return nil, err
	}
	var sent, received atomic.Uint64
	legs, err := dialLegs(ctx, rc.Addr, rc.Calls, &sent, &received)
	if err != nil {
		return nil, err
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	for _, l := range legs {
		wg.Add(1)
		go func() { defer wg.Done(); l.count() }()
	}
	sendCtx, stop := context.WithCancel(ctx)
	defer func() { stop(); closeLegs(legs) }()
	for i, l := range legs {
		if m.OneWay && i%2 == 1 {
			continue // the agent's leg only receives
		}
		s := &sender{pat: pat, video: l, audio: l}
		// Real parties are not in step: spread their frames over a frame
		// interval, or every leg's burst would hit the relay at once.
		offset := pat.frameEvery * time.Duration(i) / time.Duration(len(legs))
		wg.Add(1)
		go func() {
			defer wg.Done()
			if sleep(sendCtx, offset) {
				s.run(sendCtx)
			}
		}()
	}
	return measureRelay(ctx, rc, &sent, &received)
}

func measureRelay(ctx context.Context, rc RelayConfig, sent, received *atomic.Uint64) (*RelayReport, error) {
	if !sleep(ctx, relayWarmup) {
		return nil, ctx.Err()
	}
	a, _ := relaySample(rc.PID)
	s0, r0, self0, d0 := sent.Load(), received.Load(), selfCPU(), udpReceiveDrops()
	if !sleep(ctx, rc.Duration) {
		return nil, ctx.Err()
	}
	b, _ := relaySample(rc.PID)
	s1, r1, self1, d1 := sent.Load(), received.Load(), selfCPU(), udpReceiveDrops()
	secs := b.At.Sub(a.At).Seconds()
	rep := &RelayReport{
		Calls: rc.Calls, OneWay: rc.Media.OneWay, Seconds: round(secs, 2), Sent: s1 - s0, Received: r1 - r0,
		ForwardedPPS: round(float64(r1-r0)/secs, 0), LoadgenCores: round((self1-self0)/secs, 3),
		UDPReceiveDrops: d1 - d0, CPUPressurePct: cpuPressure(),
	}
	rep.LossPct = lossPct(rep.Received, rep.Sent)
	if cpu := b.CPUSeconds - a.CPUSeconds; cpu > 0 {
		rep.RelayCPUSeconds, rep.RelayCores = round(cpu, 2), round(cpu/secs, 3)
		rep.PacketsPerCPUSecond = round(float64(rep.Received)/cpu, 0)
	}
	return rep, nil
}

func relaySample(pid int) (Sample, error) {
	if pid <= 0 {
		return Sample{At: time.Now()}, nil
	}
	return ProcessSample(pid)
}

// dialLegs opens two legs per call and pairs them at the relay: even
// indexes are stations, odd ones agents.
func dialLegs(ctx context.Context, addr string, calls int, sent, received *atomic.Uint64) ([]*udpLeg, error) {
	raddr, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("relay address: %w", err)
	}
	legs := make([]*udpLeg, 0, 2*calls)
	for range 2 * calls {
		conn, err := net.DialUDP("udp", nil, raddr)
		if err != nil {
			closeLegs(legs)
			return nil, fmt.Errorf("dial relay: %w", err)
		}
		legs = append(legs, &udpLeg{conn: conn, sent: sent, received: received, buf: make([]byte, 1500)})
	}
	for i := 0; i < len(legs); i += 2 {
		if err := pairLegs(ctx, legs[i], legs[i+1], strconv.Itoa(i/2)); err != nil {
			closeLegs(legs)
			return nil, err
		}
	}
	return legs, nil
}

// pairLegs has the legs say hello, both before either listens, until each
// has heard the relay's pairing reply.
func pairLegs(ctx context.Context, a, b *udpLeg, id string) error {
	msg := []byte(helloPrefix + id)
	legs := []*udpLeg{a, b}
	var paired [2]bool
	for range 50 {
		for i, l := range legs {
			if paired[i] {
				continue
			}
			if _, err := l.conn.Write(msg); err != nil {
				return fmt.Errorf("pair at relay: %w", err)
			}
		}
		for i, l := range legs {
			if !paired[i] {
				paired[i] = l.heard(100 * time.Millisecond)
			}
		}
		if paired[0] && paired[1] {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return fmt.Errorf("relay at %s did not pair legs %s", a.conn.RemoteAddr(), id)
}

// heard reports whether the pairing reply arrives within d.
func (l *udpLeg) heard(d time.Duration) bool {
	l.conn.SetReadDeadline(time.Now().Add(d))
	defer l.conn.SetReadDeadline(time.Time{})
	n, err := l.conn.Read(l.buf)
	return err == nil && string(l.buf[:n]) == pairedReply
}

// count reads until the leg closes, counting RTP packets (the first leg's
// pairing reply is not one).
func (l *udpLeg) count() {
	buf := make([]byte, 2048)
	for {
		n, err := l.conn.Read(buf)
		if err != nil {
			return
		}
		if n >= rtpHeaderSize && buf[0]>>6 == 2 {
			l.received.Add(1)
		}
	}
}

func closeLegs(legs []*udpLeg) {
	for _, l := range legs {
		l.conn.Close()
	}
}

// Print writes the report for people.
func (r *RelayReport) Print(w io.Writer) {
	fmt.Fprintf(w, "== UDP relay baseline: %d calls (one-way %v), %.1f s: %.0f pkt/s, relay %.3f cores, %.0f pkt per relay CPU-second, loss %.3f%% (UDP receive-buffer drops %d), loadgen %.3f cores\n",
		r.Calls, r.OneWay, r.Seconds, r.ForwardedPPS, r.RelayCores, r.PacketsPerCPUSecond, r.LossPct, r.UDPReceiveDrops, r.LoadgenCores)
}
