package media

import (
	"encoding/binary"
	"math"
	"strings"

	"github.com/pion/webrtc/v4"
)

// The node builds RED (RFC 2198) itself towards receivers that negotiated it:
// each Opus packet also carries the last few frames, so a receiver rebuilds a
// frame lost on its downlink from a later packet without a round trip. How many
// frames ride along is chosen per receiver from the loss it reports (see
// reddistance.go). A publisher that already sends RED with enough redundancy is
// passed through as it is.

const (
	// maxRedundancy is the most redundant frames a packet carries: at 20 %
	// random loss three leave 0.16 % of frames unrecoverable.
	maxRedundancy = 3
	// redMaxReach is the oldest frame a packet may carry, counted back from
	// its primary: 6 frames, 120 ms at 20-ms frames (see redPlan).
	redMaxReach = 6
	// redMaxOffset and redMaxBlock are what a RED block header can express: a
	// 14-bit timestamp offset and a 10-bit length.
	redMaxOffset = 1<<14 - 1
	redMaxBlock  = 1<<10 - 1
	// redMaxPayload keeps a RED packet, with RTP, SRTP and UDP/IP headers,
	// well under a 1,280-byte path MTU.
	redMaxPayload = 1100
)

// redFrame is one earlier Opus frame kept for redundancy.
type redFrame struct {
	ts   uint32
	n    int
	data [redMaxBlock]byte
}

// redEncoder keeps an audio track's last frames and builds RED payloads from
// them. It belongs to the track's read loop: one packet at a time, no locks and
// no allocation; a payload it returns is valid until the next call.
type redEncoder struct {
	frames [redMaxReach]redFrame // ring of earlier primaries
	next   int                   // where the next frame is kept
	kept   int                   // frames kept, up to redMaxReach

	out     [redMaxPayload]byte
	outLen  int
	outPlan redPlan // what out was built for; k -1: not built
	outPT   uint8
}

func newREDEncoder() *redEncoder { return &redEncoder{outPlan: redPlan{k: -1}} }

// encode builds the RED payload of a packet whose Opus frame (payload type pt)
// is primary at timestamp ts, with the earlier frames plan names before it.
// Frames that do not fit the block header or the size limit are left out,
// oldest first. The result is reused for the same plan until push.
func (e *redEncoder) encode(ts uint32, pt uint8, primary []byte, plan redPlan) []byte {
	if plan == e.outPlan && pt == e.outPT {
		return e.out[:e.outLen]
	}
	blocks := e.pick(ts, len(primary), plan)
	off := 0
	for _, f := range blocks {
		if f == nil {
			continue
		}
		// F=1, block PT, timestamp offset (14 bits), block length (10 bits).
		binary.BigEndian.PutUint32(e.out[off:], uint32(0x80|pt)<<24|(ts-f.ts)<<10|uint32(f.n))
		off += 4
	}
	e.out[off] = pt & 0x7f
	off++
	for _, f := range blocks {
		if f != nil {
			off += copy(e.out[off:], f.data[:f.n])
		}
	}
	off += copy(e.out[off:], primary)
	e.outLen, e.outPlan, e.outPT = off, plan, pt
	return e.out[:off]
}

// pick returns the kept frames plan names that fit in front of a primary of
// size bytes at ts, oldest first (nil where one is left out).
func (e *redEncoder) pick(ts uint32, size int, plan redPlan) [maxRedundancy]*redFrame {
	var blocks [maxRedundancy]*redFrame
	room := redMaxPayload - 1 - size
	k := min(plan.k, maxRedundancy)
	for i := 0; i < k; i++ { // newest first, so the newest is kept when room runs out
		back := plan.distance(i)
		if back > e.kept {
			break
		}
		f := &e.frames[(e.next-back+redMaxReach)%redMaxReach]
		d := ts - f.ts
		if d == 0 || d > redMaxOffset || f.n+4 > room {
			break
		}
		room -= f.n + 4
		blocks[k-1-i] = f
	}
	return blocks
}

// push keeps primary, at ts, as the newest earlier frame. A frame too large
// for a RED block, or not later than the newest kept, is not kept.
func (e *redEncoder) push(ts uint32, primary []byte) {
	e.outPlan.k = -1
	if len(primary) == 0 || len(primary) > redMaxBlock {
		return
	}
	if e.kept > 0 {
		newest := &e.frames[(e.next-1+redMaxReach)%redMaxReach]
		if d := ts - newest.ts; d == 0 || d > 1<<31 {
			return // a duplicate or reordered packet
		}
	}
	f := &e.frames[e.next]
	f.ts, f.n = ts, copy(f.data[:], primary)
	e.next = (e.next + 1) % redMaxReach
	e.kept = min(e.kept+1, redMaxReach)
}

// keepRedundant keeps the earlier frames a publisher's own RED payload (at ts)
// carries that are newer than the newest kept: frames lost on the publisher's
// uplink are then still repeated to subscribers.
func (e *redEncoder) keepRedundant(ts uint32, red []byte) {
	var hdr [maxRedundancy + 8]uint32
	n, off := 0, 0
	for ; off < len(red) && red[off]&0x80 != 0; off += 4 {
		if off+4 > len(red) || n == len(hdr) {
			return
		}
		hdr[n] = binary.BigEndian.Uint32(red[off:])
		n++
	}
	off++ // the primary's header
	for _, h := range hdr[:n] {
		size := int(h & 0x3ff)
		if off+size > len(red) {
			return
		}
		e.push(ts-(h>>10&0x3fff), red[off:off+size])
		off += size
	}
}

// redBlocks counts the redundant blocks of a RED payload.
func redBlocks(payload []byte) int {
	n := 0
	for off := 0; off < len(payload) && payload[off]&0x80 != 0; off += 4 {
		n++
	}
	return n
}

// setRedundancy makes the track build RED of up to limit redundant frames for
// subscribers that take it, where it is Opus under payload type 111 (the one
// RED's registered format parameters name). A publisher's own RED stays
// offered as it is.
func (u *upTrack) setRedundancy(limit int) {
	u.redOffer = u.red
	if limit <= 0 || !strings.EqualFold(u.info.Codec.MimeType, webrtc.MimeTypeOpus) {
		return
	}
	if u.redOffer == nil {
		if u.info.Codec.PayloadType != 111 {
			return
		}
		c := redCodec()
		u.redOffer = &c
	}
	u.redEnc, u.redMax = newREDEncoder(), limit
}

// redundancyRate is what the redundancy sent to this peer adds, in bit/s: it is
// audio, so it comes out of video's share of the peer's downlink.
func (p *Peer) redundancyRate() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	var bps int64
	for _, d := range p.downs {
		bps += d.redBps.Load()
	}
	return int(bps)
}

// fecOverhead is what FEC adds to the video sent to this peer, as a share of
// the video: the most of any of its video tracks.
func (p *Peer) fecOverhead() float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	share := 0.0
	for _, d := range p.downs {
		share = max(share, math.Float64frombits(d.fecRatio.Load()))
	}
	return share
}
