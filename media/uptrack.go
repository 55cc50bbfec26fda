package media

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// upTrack is one track published by a peer. Its read loop forwards every packet to
// the subscribers' downTracks and to the sinks.
type upTrack struct {
	info TrackInfo
	// stopReads ends the track's read loops; set before they start.
	stopReads func()
	publisher *peerCounters
	metrics   *metrics
	keyframes *keyframeLimiter
	// seekPoints decides whether a sink's wish for a keyframe is granted.
	seekPoints seekPointGate
	cache      *packetCache // video only
	// keyStart tells whether a payload starts a keyframe; lastKey is the
	// sequence number of the last one that did, | seqValid (video only).
	keyStart func([]byte) bool
	lastKey  atomic.Uint32
	// lastSeq is the newest sequence number read, | seqValid. Read loop only.
	lastSeq uint32
	// red is the RED codec the publisher wraps this Opus track in, nil if none.
	// Set before the read loop starts.
	red *webrtc.RTPCodecParameters
	// redOffer is the RED codec offered to subscribers (red, or RED over the
	// Opus the publisher sends when the node builds RED), nil if none; redEnc
	// builds RED and redMax bounds its redundancy. Set before the read loop.
	redOffer  *webrtc.RTPCodecParameters
	redEnc    *redEncoder
	redMax    int
	writeRTCP func([]rtcp.Packet) error

	// fanout is replaced, never mutated, so the read loop walks it without a lock.
	fanout atomic.Pointer[fanout]
	mu     sync.Mutex // serialises fanout replacements
	ended  bool

	// pendingSR hands the latest sender report from the RTCP loop to the read loop,
	// which delivers it to the sinks so that a Sink is only ever called by one goroutine.
	pendingSR atomic.Pointer[rtcp.SenderReport]

	// Owned by the read loop.
	pkt     rtp.Packet
	scratch rtpScratch
}

type fanout struct {
	downs []*downTrack
	sinks []Sink
	// fresh are sinks attached since the read loop last looked (startSinks).
	fresh []Sink
}

func newUpTrack(info TrackInfo, publisher *peerCounters, m *metrics, writeRTCP func([]rtcp.Packet) error) *upTrack {
	u := &upTrack{
		info:       info,
		publisher:  publisher,
		metrics:    m,
		keyframes:  newKeyframeLimiter(keyframeInterval, time.Now),
		keyStart:   keyframeStarter(info.Codec.MimeType),
		seekPoints: seekPointGate{bytes: publisher.bytesPublished.Load(), at: time.Now()},
		writeRTCP:  writeRTCP,
	}
	if info.Kind == webrtc.RTPCodecTypeVideo {
		u.cache = &packetCache{}
	}
	u.fanout.Store(&fanout{})
	return u
}

// forward handles one packet as read from the publisher. It is the hot path: no
// allocation, no lock across a write.
func (u *upTrack) forward(raw []byte) {
	if err := u.pkt.Unmarshal(raw); err != nil {
		return
	}
	u.publisher.packetsPublished.Add(1)
	u.publisher.bytesPublished.Add(uint64(len(raw)))
	if u.info.Kind == webrtc.RTPCodecTypeVideo {
		u.publisher.videoBytesPublished.Add(uint64(len(raw)))
	} else {
		u.publisher.audioWireBytesPublished.Add(uint64(len(raw) + packetOverhead))
	}
	padding := u.inOrderPadding()
	if u.cache != nil && !padding {
		u.cache.store(u.pkt.SequenceNumber, raw)
		if u.keyStart(u.pkt.Payload) {
			u.lastKey.Store(uint32(u.pkt.SequenceNumber) | seqValid)
			u.keyframes.arrived()
		}
	}
	if u.keyframes.due() {
		u.sendKeyframeRequest()
	}
	if padding {
		u.dropPadding(raw)
		return
	}
	red, ok := u.unwrapRED()
	if !ok {
		return
	}
	if red != nil && u.redEnc != nil {
		u.redEnc.keepRedundant(u.pkt.Timestamp, red)
	}
	f := u.fanout.Load()
	if len(f.fresh) > 0 {
		f = u.startSinks(f)
	}
	sent := 0
	for _, d := range f.downs {
		if h := d.hold.Load(); h != holdOff && !d.whileHeld(h, u, raw) {
			continue
		}
		var fwd bool
		if d.video {
			fwd = d.forwardRTP(&u.pkt.Header, u.pkt.Payload, &u.scratch)
		} else {
			fwd = d.forwardAudio(&u.pkt.Header, red, u.pkt.Payload, u.redEnc, &u.scratch)
		}
		if fwd {
			d.peer.counters.packetsForwarded.Add(1)
			d.peer.counters.bytesForwarded.Add(uint64(len(raw)))
			sent++
		}
	}
	if u.redEnc != nil {
		u.redEnc.push(u.pkt.Timestamp, u.pkt.Payload)
	}
	if len(f.sinks) > 0 {
		u.feedSinks(f.sinks)
	}
	if sent > 0 {
		u.metrics.forwardedPackets.Add(float64(sent))
		u.metrics.forwardedBytes.Add(float64(sent * len(raw)))
	}
}

// inOrderPadding reports whether u.pkt is padding only and comes right after
// the newest packet read, which it notes.
func (u *upTrack) inOrderPadding() bool {
	seq, last := u.pkt.SequenceNumber, u.lastSeq
	if last&seqValid == 0 || int16(seq-uint16(last)) > 0 {
		u.lastSeq = uint32(seq) | seqValid
	}
	return len(u.pkt.Payload) == 0 && last&seqValid != 0 && seq == uint16(last)+1
}

// dropPadding forwards a padding-only packet to no subscriber: it is the
// publisher probing its own link to the node, and a subscriber's link, which
// has an estimate of its own, would only pay for it (on a 256 kbit/s link a run
// of it costs what a keyframe does). Each subscriber's numbering closes over
// it. Padding out of order is forwarded as it is, as closing over it would
// renumber what came before. The recorder gets video padding, which it tells
// from a loss.
func (u *upTrack) dropPadding(raw []byte) {
	f := u.fanout.Load()
	for _, d := range f.downs {
		if h := d.hold.Load(); h != holdOff && !d.whileHeld(h, u, raw) {
			continue
		}
		d.skipPadding(u.pkt.SequenceNumber)
	}
	if u.info.Kind == webrtc.RTPCodecTypeVideo && len(f.sinks) > 0 {
		u.feedSinks(f.sinks)
	}
}

// startSinks makes f's fresh sinks regular ones, on the read loop. A sink
// attached while a downTrack is armed (a standing call just accepted, its
// records being written) is first fed what that downTrack kept from the
// keyframe asked for at the accept: the recording starts with the call's first
// frame instead of asking the publisher for a keyframe of its own, which on a
// weak link costs a stall. It returns the fanout to forward with.
func (u *upTrack) startSinks(f *fanout) *fanout {
	if kept := keptSinceAccept(f.downs); len(kept) > 0 {
		var p rtp.Packet
		for _, raw := range kept {
			if p.Unmarshal(raw) != nil {
				continue
			}
			for _, s := range f.fresh {
				s.WriteRTP(&p)
			}
		}
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	cur := u.fanout.Load()
	if u.ended {
		return cur
	}
	// Only attachSink adds to fresh and only this loop takes from it, so
	// f.fresh leads cur.fresh.
	next := &fanout{downs: cur.downs, sinks: slices.Concat(cur.sinks, f.fresh), fresh: slices.Clone(cur.fresh[len(f.fresh):])}
	u.fanout.Store(next)
	return next
}

// keptSinceAccept is what an armed or just released downTrack kept, from a
// keyframe on; nil if none keeps anything. Read loop only.
func keptSinceAccept(downs []*downTrack) [][]byte {
	for _, d := range downs {
		if h := d.hold.Load(); (h == holdArmed || h == holdFlush) && len(d.kept) > 0 {
			return d.kept
		}
	}
	return nil
}

// unwrapRED makes u.pkt the Opus packet a RED packet carries and returns the
// RED payload; red is nil for a plain packet, ok false for a malformed one.
func (u *upTrack) unwrapRED() (red []byte, ok bool) {
	if u.red == nil || u.pkt.PayloadType != uint8(u.red.PayloadType) {
		return nil, true
	}
	pt, primary, ok := redPrimary(u.pkt.Payload)
	if !ok {
		return nil, false
	}
	red = u.pkt.Payload
	u.pkt.PayloadType, u.pkt.Payload = pt, primary
	u.publisher.redPublished.Add(1)
	return red, true
}

func (u *upTrack) feedSinks(sinks []Sink) {
	if u.pendingSR.Load() != nil {
		if sr := u.pendingSR.Swap(nil); sr != nil {
			for _, s := range sinks {
				s.WriteSenderReport(sr)
			}
		}
	}
	for _, s := range sinks {
		s.WriteRTP(&u.pkt)
	}
}

// requestKeyframe asks the publisher for a keyframe, at most once per
// keyframeInterval; requests in between are sent when the interval has passed.
func (u *upTrack) requestKeyframe() {
	if u.info.Kind != webrtc.RTPCodecTypeVideo {
		return
	}
	if u.keyframes.request() {
		u.sendKeyframeRequest()
	}
}

// requestFreshKeyframe is requestKeyframe for a subscriber just bound, which
// no keyframe sent before can serve (see keyframeFresh).
func (u *upTrack) requestFreshKeyframe() {
	if u.info.Kind == webrtc.RTPCodecTypeVideo && u.keyframes.requestFresh() {
		u.sendKeyframeRequest()
	}
}

func (u *upTrack) sendKeyframeRequest() {
	err := u.writeRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: u.info.SSRC}})
	if err == nil {
		u.publisher.keyframeRequests.Add(1)
		u.metrics.keyframeRequests.Inc()
	}
}

// addDown starts forwarding to a subscriber; false if the track has ended.
func (u *upTrack) addDown(d *downTrack) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.ended {
		return false
	}
	f := u.fanout.Load()
	u.fanout.Store(&fanout{downs: append(slices.Clip(f.downs), d), sinks: f.sinks, fresh: f.fresh})
	return true
}

// keyframeAfter reports whether a keyframe started after the publisher's
// packet seq.
func (u *upTrack) keyframeAfter(seq uint16) bool {
	k := u.lastKey.Load()
	return k&seqValid != 0 && int16(uint16(k)-seq) > 0
}

// isEnded tells whether the track has ended.
func (u *upTrack) isEnded() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.ended
}

// downFor returns the downTrack that forwards to sub, nil if none.
func (u *upTrack) downFor(sub *Peer) *downTrack {
	for _, d := range u.fanout.Load().downs {
		if d.peer == sub {
			return d
		}
	}
	return nil
}

// removeDowns stops forwarding to the matching downTracks.
func (u *upTrack) removeDowns(match func(*downTrack) bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	f := u.fanout.Load()
	downs := slices.DeleteFunc(slices.Clone(f.downs), match)
	u.fanout.Store(&fanout{downs: downs, sinks: f.sinks, fresh: f.fresh})
}

// sinkKeyframes is a sink's KeyframeRequester.
type sinkKeyframes struct{ u *upTrack }

func (k sinkKeyframes) RequestKeyframe() { k.u.requestKeyframe() }

func (k sinkKeyframes) RequestSeekPoint() {
	if k.u.seekPoints.cheap(k.u.publisher.bytesPublished.Load(), time.Now()) {
		k.u.requestKeyframe()
	}
}

// attachSink asks a factory for a sink and feeds it from the next packet on,
// or from the keyframe of a call just accepted (startSinks).
func (u *upTrack) attachSink(factory SinkFactory) {
	sink := factory(u.info, sinkKeyframes{u})
	if sink == nil {
		return
	}
	u.mu.Lock()
	if u.ended {
		u.mu.Unlock()
		sink.Close()
		return
	}
	f := u.fanout.Load()
	u.fanout.Store(&fanout{downs: f.downs, sinks: f.sinks, fresh: append(slices.Clip(f.fresh), sink)})
	u.mu.Unlock()
}

// end stops all forwarding, closes the sinks and returns the subscribers' downTracks.
func (u *upTrack) end() []*downTrack {
	u.mu.Lock()
	u.ended = true
	f := u.fanout.Swap(&fanout{})
	u.mu.Unlock()
	for _, s := range slices.Concat(f.sinks, f.fresh) {
		s.Close()
	}
	return f.downs
}

// storeSenderReport keeps the publisher's latest sender report for the sinks.
func (u *upTrack) storeSenderReport(pkts []rtcp.Packet) {
	for _, p := range pkts {
		if sr, ok := p.(*rtcp.SenderReport); ok && sr.SSRC == u.info.SSRC {
			u.pendingSR.Store(sr)
		}
	}
}
