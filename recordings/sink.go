package recordings

import (
	"sync"
	"sync/atomic"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"cloudwindow/media"
)

// maxPayload bounds the RTP payload a pooled packet holds; WebRTC senders
// stay well under the path MTU.
const maxPayload = 1500

// trackSpec is what the recorder needs to know about a published track.
type trackSpec struct {
	party  string // "station" | "agent"
	source string // "audio" | "camera" | "document"
	codec  webrtc.RTPCodecParameters
}

// event is one thing a track hands its file's writer goroutine: an RTP
// packet, or a sender report when pkt is nil.
type event struct {
	sink    *trackSink
	pkt     *rtp.Packet
	ntp     uint64
	rtpTime uint32
	at      int64 // arrival, Unix nanoseconds
}

// trackSink is the media path's side of one recorded track. Its methods
// run on the track's read loop, so they only copy and enqueue: a full
// queue drops the packet rather than slow the call down.
type trackSink struct {
	spec      trackSpec
	codec     codecSpec
	keyframes media.KeyframeRequester
	fw        *fileWriter
	closed    atomic.Bool
	state     *track // the writer goroutine's, see track.go
}

func newPacketPool() *sync.Pool {
	return &sync.Pool{New: func() any { return &rtp.Packet{Payload: make([]byte, 0, maxPayload)} }}
}

// WriteRTP copies p into a pooled packet for the writer goroutine.
func (s *trackSink) WriteRTP(p *rtp.Packet) {
	rec := s.fw.rec
	if len(p.Payload) > maxPayload {
		rec.metrics.droppedTooLarge.Inc()
		return
	}
	c := rec.packets.Get().(*rtp.Packet)
	c.Header = rtp.Header{
		Version: p.Version, Marker: p.Marker, PayloadType: p.PayloadType,
		SequenceNumber: p.SequenceNumber, Timestamp: p.Timestamp, SSRC: p.SSRC,
	}
	c.Payload = append(c.Payload[:0], p.Payload...)
	select {
	case s.fw.events <- event{sink: s, pkt: c, at: rec.now().UnixNano()}:
	default:
		rec.packets.Put(c)
		rec.metrics.droppedQueueFull.Inc()
	}
}

// WriteSenderReport passes the RTP/NTP time pair on for A/V alignment.
func (s *trackSink) WriteSenderReport(sr *rtcp.SenderReport) {
	select {
	case s.fw.events <- event{sink: s, ntp: sr.NTPTime, rtpTime: sr.RTPTime, at: s.fw.rec.now().UnixNano()}:
	default:
		s.fw.rec.metrics.droppedQueueFull.Inc()
	}
}

// Close tells the writer the track ended; the file is finished once every
// track in it has ended.
func (s *trackSink) Close() {
	if s.closed.Swap(true) {
		return
	}
	s.fw.detach()
}
