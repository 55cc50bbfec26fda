package media

import (
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// resender answers one subscriber's NACKs for one track from the publisher's packet
// cache. It belongs to the track's RTCP goroutine and reuses its buffers.
type resender struct {
	d       *downTrack
	buf     []byte
	pkt     rtp.Packet
	scratch rtpScratch
}

func newResender(d *downTrack) *resender {
	return &resender{d: d, buf: make([]byte, maxPacketSize)}
}

func (r *resender) answer(nack *rtcp.TransportLayerNack) {
	cache := r.d.up.cache
	if cache == nil {
		return
	}
	for _, pair := range nack.Nacks {
		pair.Range(func(seq uint16) bool {
			r.resend(cache, seq)
			return true
		})
	}
}

func (r *resender) resend(cache *packetCache, seq uint16) {
	n := cache.get(seq, r.buf)
	if n == 0 {
		return
	}
	if err := r.pkt.Unmarshal(r.buf[:n]); err != nil {
		return
	}
	if r.d.writeRTP(&r.pkt.Header, r.pkt.Payload, &r.scratch) {
		r.d.peer.counters.nacksAnswered.Add(1)
		r.d.peer.metrics.nacksAnswered.Inc()
	}
}
