package recordings

import (
	"testing"
	"time"

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

// replay splits a 10 s synthetic stream into per-track loops and the order
// the packets arrive in.
func replay(st stream) (video, audio *loopPackets, order []bool) {
	video = &loopPackets{span: uint32(st.length.Seconds() * 90000)}
	audio = &loopPackets{span: uint32(st.length.Seconds() * 48000)}
	for _, a := range st.arrivals() {
		switch {
		case a.pkt == nil:
			continue
		case a.video:
			video.src = append(video.src, a.pkt)
		default:
			audio.src = append(audio.src, a.pkt)
		}
		order = append(order, a.video)
	}
	return video, audio, order
}

// BenchmarkSinkWriteRTP is what recording costs the media path per packet:
// the copy into a pooled buffer and the hand-off to the writer. Each packet
// is taken off the queue and recycled in the loop (a few ns of the writer's
// work), so every WriteRTP takes the full path, never the drop.
func BenchmarkSinkWriteRTP(b *testing.B) {
	tr := newTestRecorder(b, testSQLite(b), b.TempDir())
	video, _, _ := replay(stream{start: tr.clock.Now(), length: 10 * time.Second, keyEvery: 50})
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
// A party sends ~75 packets per second of media at these sizes.
func BenchmarkRecordParty(b *testing.B) {
	tr := newTestRecorder(b, testSQLite(b), b.TempDir())
	tr.queueLen = 1 << 20
	video, audio, order := replay(stream{start: tr.clock.Now(), length: 10 * time.Second, keyEvery: 50})
	p := tr.join(b, testCall, "station", true)
	b.ReportAllocs()
	b.ResetTimer()
	// Not b.Loop: it stops the timer and the allocation count when the loop
	// ends, before the writer has caught up.
	for i := range b.N {
		if order[i%len(order)] {
			p.video.WriteRTP(video.next())
		} else {
			p.audio.WriteRTP(audio.next())
		}
	}
	p.close()
	tr.wait(b, testCall.ID) // the writer's work is part of the cost
	b.StopTimer()
	if d := metricValue(b, tr.metrics.droppedQueueFull); d > 0 {
		b.Fatalf("%v packets dropped", d)
	}
}
