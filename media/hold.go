package media

import (
	"slices"
	"strings"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// A downTrack of a prepared call is held: negotiated while the call rings,
// with nothing forwarded (SFU.Prepare). When the agent accepts, the node asks
// both publishers for a keyframe at once (SFU.Arm) and each held video
// downTrack keeps what comes from that keyframe on, while the accept writes
// the call's records. The release then sends what was kept ahead of the live
// packets, so the far end decodes its first frame without waiting for a
// keyframe asked for only then; the call's recorder, attached meanwhile, starts
// with the same packets (upTrack.startSinks). Nothing that reached the node
// before the accept is kept.
const (
	holdOff   int32 = iota // forwarding
	holdOn                 // held: nothing forwarded
	holdArmed              // held, keeping packets from the next keyframe
	holdFlush              // released: the kept packets go out first
)

// maxKept bounds the packets an armed downTrack keeps: a keyframe and the
// frames after it for the second or so an accept takes. Past it the kept
// packets are dropped and the release asks for a keyframe as before.
const maxKept = 512

// armedKeyframeWait is how long a downTrack released before the accept's
// keyframe came waits for it instead of asking again: a second request that
// soon is ignored by a browser (Chromium: 300 ms) or costs a second keyframe,
// each a stall on a weak link.
const armedKeyframeWait = time.Second

// isHeld reports whether nothing of the track reaches the subscriber yet.
func (d *downTrack) isHeld() bool {
	h := d.hold.Load()
	return h == holdOn || h == holdArmed
}

// requestKeyframe asks the publisher for a keyframe for this subscriber, or
// fresh, only if none was asked for just now (see keyframeFresh). A held
// downTrack asks none: its keyframe comes with the accept (SFU.Arm), one
// asked for now would be dropped, and browsers ignore a request that soon
// after their last one (300 ms in Chromium), so the accept's would go
// unanswered.
func (d *downTrack) requestKeyframe(fresh bool) {
	switch {
	case d.isHeld():
	case fresh:
		d.up.requestFreshKeyframe()
	default:
		d.up.requestKeyframe()
	}
}

// arm starts keeping a held video downTrack's packets from its next keyframe.
func (d *downTrack) arm() bool {
	if !d.video {
		return false
	}
	d.armedAt.Store(monoNow())
	return d.hold.CompareAndSwap(holdOn, holdArmed)
}

// release starts forwarding a held downTrack: if it was armed, with what it
// kept or from the accept's keyframe still on its way (whileHeld); else from
// a fresh keyframe.
func (d *downTrack) release() {
	if d.hold.CompareAndSwap(holdArmed, holdFlush) {
		return
	}
	if d.hold.CompareAndSwap(holdOn, holdOff) && d.video {
		d.up.requestFreshKeyframe()
	}
}

// whileHeld handles a packet of the publisher for a downTrack not yet in
// holdOff, on the track's read loop, which alone touches kept. It reports
// whether the packet is to be forwarded now.
func (d *downTrack) whileHeld(h int32, u *upTrack, raw []byte) bool {
	switch h {
	case holdArmed:
		d.keep(u, raw)
	case holdFlush:
		if len(d.kept) == 0 {
			key := u.keyStart(u.pkt.Payload)
			if !key && time.Duration(monoNow()-d.armedAt.Load()) < armedKeyframeWait {
				return false // the accept's keyframe is on its way
			}
			if !key {
				u.requestFreshKeyframe()
			}
		}
		d.flushKept(u)
		d.hold.CompareAndSwap(holdFlush, holdOff)
		return true
	}
	return false
}

func (d *downTrack) keep(u *upTrack, raw []byte) {
	switch {
	case len(d.kept) == 0 && !u.keyStart(u.pkt.Payload):
	case len(d.kept) >= maxKept:
		d.kept = nil
		d.hold.CompareAndSwap(holdArmed, holdOn) // the release asks anew
	default:
		d.kept = append(d.kept, slices.Clone(raw))
	}
}

// flushKept sends the kept packets.
func (d *downTrack) flushKept(u *upTrack) {
	kept := d.kept
	d.kept = nil
	var p rtp.Packet
	for _, raw := range kept {
		if p.Unmarshal(raw) != nil {
			continue
		}
		if len(p.Payload) == 0 { // kept in order, as it came
			d.skipPadding(p.SequenceNumber)
			continue
		}
		if d.forwardRTP(&p.Header, p.Payload, &u.scratch) {
			d.peer.counters.packetsForwarded.Add(1)
			d.peer.counters.bytesForwarded.Add(uint64(len(raw)))
			u.metrics.forwardedPackets.Inc()
			u.metrics.forwardedBytes.Add(float64(len(raw)))
		}
	}
}

// keyframeStarter returns what tells whether an RTP payload of the codec
// starts a keyframe; for codecs it does not know, it tells false.
func keyframeStarter(mime string) func([]byte) bool {
	switch {
	case strings.EqualFold(mime, webrtc.MimeTypeVP8):
		return vp8KeyframeStart
	case strings.EqualFold(mime, webrtc.MimeTypeVP9):
		return vp9KeyframeStart
	case strings.EqualFold(mime, webrtc.MimeTypeH264):
		return h264KeyframeStart
	}
	return func([]byte) bool { return false }
}

// vp9KeyframeStart reads the payload descriptor (RFC 9628): P (inter-picture
// predicted) clear, B (start of frame) set.
func vp9KeyframeStart(p []byte) bool {
	return len(p) > 0 && p[0]&0x40 == 0 && p[0]&0x08 != 0
}

// vp8KeyframeStart reads the payload descriptor (RFC 7741 §4.2) and the
// frame tag's inverse key frame bit (RFC 6386 §9.1).
func vp8KeyframeStart(p []byte) bool {
	if len(p) == 0 || p[0]&0x10 == 0 || p[0]&0x07 != 0 { // S set, partition 0
		return false
	}
	n, _, ok := vp8Descriptor(p)
	return ok && len(p) > n && p[n]&0x01 == 0
}

// vp8TemporalLayer returns the temporal layer (TID) a VP8 payload's
// descriptor names; layered is false when it names none (one layer).
func vp8TemporalLayer(p []byte) (tid uint8, layered bool) {
	_, at, ok := vp8Descriptor(p)
	if !ok || at < 0 {
		return 0, false
	}
	return p[at] >> 6, true
}

// vp8Descriptor walks a VP8 payload descriptor (RFC 7741): its length, and
// where its TID byte is (-1 when the T bit is clear); ok is false when the
// payload ends inside it.
func vp8Descriptor(p []byte) (n, tidAt int, ok bool) {
	if len(p) == 0 {
		return 0, -1, false
	}
	n, tidAt = 1, -1
	if p[0]&0x80 == 0 { // X clear: no extension
		return n, tidAt, true
	}
	if len(p) < 3 {
		return 0, -1, false
	}
	ext := p[1]
	n = 2
	if ext&0x80 != 0 { // I: picture ID, 7 or 15 bits
		n++
		if p[2]&0x80 != 0 {
			n++
		}
	}
	if ext&0x40 != 0 { // L: TL0PICIDX
		n++
	}
	if ext&0x30 != 0 { // T or K: TID/KEYIDX
		if ext&0x20 != 0 {
			tidAt = n
		}
		n++
	}
	return n, tidAt, len(p) >= n
}

// h264KeyframeStart finds an IDR slice or a sequence parameter set at the
// start of a single NAL unit, an STAP-A or the first fragment of an FU-A
// (RFC 6184).
func h264KeyframeStart(p []byte) bool {
	isKey := func(nal byte) bool { t := nal & 0x1f; return t == 5 || t == 7 }
	if len(p) < 2 {
		return false
	}
	switch p[0] & 0x1f {
	case 24: // STAP-A: 16-bit sizes, each followed by its NAL unit
		for i := 1; i+2 < len(p); {
			size := int(p[i])<<8 | int(p[i+1])
			if isKey(p[i+2]) {
				return true
			}
			i += 2 + size
		}
		return false
	case 28: // FU-A: the start bit and the fragmented unit's type
		return p[1]&0x80 != 0 && isKey(p[1])
	default:
		return isKey(p[0])
	}
}

// Arm is called once a call between two prepared standing peers is accepted,
// before its records are written: each one's held video keeps what comes
// from a keyframe asked for now, so the release can start with it.
func (s *SFU) Arm(a, b *Peer) {
	for _, x := range [][2]*Peer{{a, b}, {b, a}} {
		sub, pub := x[0], x[1]
		for _, d := range sub.heldFrom(pub.id) {
			if d.arm() {
				d.up.requestFreshKeyframe()
			}
		}
	}
}

// heldFrom returns p's held downTracks of the tracks of publisher pubID.
func (p *Peer) heldFrom(pubID string) []*downTrack {
	p.mu.Lock()
	defer p.mu.Unlock()
	var held []*downTrack
	for _, d := range p.downs {
		if d.isHeld() && d.up.info.PeerID == pubID {
			held = append(held, d)
		}
	}
	return held
}
