package recordings

import (
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// loopPackets replays one track's packets forever, moving sequence numbers
// and timestamps on so the recorder sees one long stream.
type loopPackets struct {
	src  []*rtp.Packet
	span uint32 // RTP ticks per replay
	n    int
	out  rtp.Packet
}

func (l *loopPackets) next() *rtp.Packet {
	p, k := l.src[l.n%len(l.src)], l.n/len(l.src)
	l.n++
	l.out.Header = p.Header
	l.out.SequenceNumber += uint16(k * len(l.src))
	l.out.Timestamp += uint32(k) * l.span
	l.out.Payload = p.Payload
	return &l.out
}

// loopReports replays one track's sender reports, moved on like loopPackets.
type loopReports struct {
	src    []*rtcp.SenderReport
	span   uint32        // RTP ticks per replay
	length time.Duration // NTP time per replay
	n      int
}

func (l *loopReports) next() *rtcp.SenderReport {
	r, k := *l.src[l.n%len(l.src)], l.n/len(l.src)
	l.n++
	r.RTPTime += uint32(k) * l.span
	r.NTPTime += uint64(k) * uint64(l.length.Seconds()) << 32
	return &r
}

// replayed is a 10 s synthetic stream split into per-track loops, with the
// order things arrive in and when, so that a loop of it is one long call.
type replayed struct {
	st                         stream
	video, audio               loopPackets
	videoReports, audioReports loopReports
	order                      []arrival // pkt and sr say which loop, not what
	n                          int
}

func replay(st stream) *replayed {
	r := &replayed{st: st, order: st.arrivals()}
	ticks := func(rate float64) uint32 { return uint32(st.length.Seconds() * rate) }
	r.video.span, r.audio.span = ticks(90000), ticks(48000)
	r.videoReports = loopReports{span: r.video.span, length: st.length}
	r.audioReports = loopReports{span: r.audio.span, length: st.length}
	for _, a := range r.order {
		switch {
		case a.pkt != nil && a.video:
			r.video.src = append(r.video.src, a.pkt)
		case a.pkt != nil:
			r.audio.src = append(r.audio.src, a.pkt)
		case a.video:
			r.videoReports.src = append(r.videoReports.src, a.sr)
		default:
			r.audioReports.src = append(r.audioReports.src, a.sr)
		}
	}
	return r
}

// next hands p the next thing that arrives, with clock at its arrival.
func (r *replayed) next(clock *fakeClock, p *party) {
	a, k := r.order[r.n%len(r.order)], r.n/len(r.order)
	r.n++
	clock.Set(a.at.Add(time.Duration(k) * r.st.length))
	switch {
	case a.pkt != nil && a.video:
		p.video.WriteRTP(r.video.next())
	case a.pkt != nil:
		p.audio.WriteRTP(r.audio.next())
	case a.video:
		p.video.WriteSenderReport(r.videoReports.next())
	default:
		p.audio.WriteSenderReport(r.audioReports.next())
	}
}

// BenchmarkSinkWriteRTP is what recording costs the media path per packet:
// the copy into a pooled buffer and the hand-off to the writer. Each packet
// is taken off the queue and recycled in the loop (a few ns of the writer's
// work), so every WriteRTP takes the full path, never the drop.
func BenchmarkSinkWriteRTP(b *testing.B) {
	tr := newTestRecorder(b, testSQLite(b), b.TempDir())
	video := replay(stream{start: tr.clock.Now(), length: 10 * time.Second, keyEvery: 50}).video
	fw := &fileWriter{rec: tr.Recorder, events: make(chan event, eventQueueLen)}
	sink := &trackSink{fw: fw}
	b.ReportAllocs()
	b.SetBytes(int64(len(video.src[len(video.src)-1].Payload)))
	for b.Loop() {
		sink.WriteRTP(video.next())
		tr.packets.Put((<-fw.events).pkt)
	}
}

// BenchmarkRecordParty is the whole recorder per packet of a party's audio
// and video: hand-off, frame assembly, muxing, writing and hashing the file.
// A party sends ~75 packets per second of media at these sizes, and a
// sender report a second per track; the clock moves with them, so frames
// leave the interleaving window as they would in a call.
func BenchmarkRecordParty(b *testing.B) {
	tr := newTestRecorder(b, testSQLite(b), b.TempDir())
	tr.queueLen = 1 << 20
	st := stream{start: tr.clock.Now(), length: 10 * time.Second, keyEvery: 50, srEvery: time.Second, srFrom: time.Second}
	r := replay(st)
	p := tr.join(b, testCall, "station", true)
	b.ReportAllocs()
	b.ResetTimer()
	// Not b.Loop: it stops the timer and the allocation count when the loop
	// ends, before the writer has caught up.
	for range b.N {
		r.next(tr.clock, p)
	}
	p.close()
	tr.wait(b, testCall.ID) // the writer's work is part of the cost
	b.StopTimer()
	if d := metricValue(b, tr.metrics.droppedQueueFull); d > 0 {
		b.Fatalf("%v packets dropped", d)
	}
}
