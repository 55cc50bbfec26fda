package media

import (
	"crypto/subtle"
	"encoding/binary"
	"math"
	"strings"
	"sync/atomic"

	"github.com/pion/webrtc/v4"
)

// Forward error correction for video on a lossy downlink (ULPFEC, RFC 5109,
// carried in RED, RFC 2198, as browsers take it). A resend costs a receiver a
// round trip, 300 ms and more on an island link, and a frame that waits for it
// freezes the picture. Every few video packets the node adds FEC packets, each
// the XOR of some of them, so that the receiver rebuilds a lost packet from the
// others at once. Packets are interleaved across the FEC packets of a group, so
// that a burst of losses falls on different ones, and a group's FEC packets go
// out after it, out of the burst that may have taken the group's last packet:
// a frame's two frames later, a longer group's before the next frame
// (fecGroups.close). Video sent in temporal
// layers (VP8 L1T3) is protected a frame at a time, every layer: Chromium
// holds every frame after a missing one, whatever its layer, until it comes,
// so a loss in any layer not mended at once freezes the picture for a resend.
// On a thin link that costs video half its bits (one FEC packet for a frame of
// one), taken off its cap (fecOverhead): a coarser picture that moves rather
// than a sharper one that freezes.
//
// The receiver's decoder sees each media packet as it arrived with the RED
// header taken off and the transport-wide sequence number zeroed (it is
// stamped after FEC is computed), so that is what the FEC covers.

const (
	mimeTypeVideoRED = "video/red"
	// fecMinLoss is the loss a subscriber's link must have (downTrack.fecLoss)
	// for it to get FEC; below it the few resends cost less than FEC would.
	fecMinLoss = 0.01
	// fecMaxSpan is how long a group may run (RTP ticks at 90 kHz, 100 ms)
	// before it is closed at the next frame's end: a lost packet waits that
	// long at most for its FEC, well under a round trip on a weak link.
	fecMaxSpan = 9000
	// fecGroupPackets closes a group at the next frame's end once it holds
	// that many packets, whatever its span.
	fecGroupPackets = 12
	// fecMaxGroup is how many packets one FEC packet can name (the long mask);
	// later packets of a bigger frame go unprotected.
	fecMaxGroup = 48
	// fecHeaderLen is the FEC header; the level-0 header adds 2 bytes of
	// protection length and a 2- or 6-byte mask.
	fecHeaderLen = 10
	// rtpHeaderLen is the fixed RTP header.
	rtpHeaderLen = 12
	// fecMaxShare is the most FEC packets per media packet.
	fecMaxShare = 0.5
)

// fecCodecs are the codecs a video transceiver towards a subscriber offers for FEC.
func fecCodecs() []webrtc.RTPCodecParameters {
	return []webrtc.RTPCodecParameters{
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: mimeTypeVideoRED, ClockRate: 90000}, PayloadType: 123},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeUlpFEC, ClockRate: 90000}, PayloadType: 125},
	}
}

func isVideoFEC(c webrtc.RTPCodecParameters) bool {
	return strings.EqualFold(c.MimeType, mimeTypeVideoRED) || strings.EqualFold(c.MimeType, webrtc.MimeTypeUlpFEC)
}

// fecShare is the FEC packets per media packet for a reported loss share: a
// few times the loss, since loss on these links comes in bursts.
func fecShare(loss float64) float64 { return min(fecMaxShare, max(0.15, 4*loss)) }

// fecPacketsFor is how many FEC packets protect a group of n media packets.
func fecPacketsFor(n int, loss float64) int {
	return max(1, min(n, int(math.Round(float64(n)*fecShare(loss)))))
}

// linkLoss is the share of packets lost on the node's own link to a
// subscriber, from its transport-wide feedback, smoothed as lossSpell does.
// FEC from the node mends that loss only: a receiver's reports also count
// what the publisher's uplink lost, which the node never had, and an agent on
// a clean link watching an island station was sent FEC for the station's
// losses. Written by the room's adaptation loop, read by the forwarding loops.
type linkLoss struct {
	bits  atomic.Uint64 // math.Float64bits of the smoothed share
	seen  atomic.Bool
	spell lossSpell // owned by the adaptation loop
}

// observe takes the share of packets lost since the last tick, if known.
func (l *linkLoss) observe(loss float64, known bool) {
	if known {
		share, _ := l.spell.observe(loss, nil)
		l.bits.Store(math.Float64bits(share))
		l.seen.Store(true)
	}
}

// share is the smoothed share, and whether any feedback came.
func (l *linkLoss) share() (float64, bool) {
	return math.Float64frombits(l.bits.Load()), l.seen.Load()
}

// fecMedia is what the receiver's decoder XORs of one protected packet, apart
// from its body: the first two header bytes, the timestamp and the length of
// everything after the fixed header.
type fecMedia struct {
	head0, head1 byte
	ts           uint32
	length       int
}

// fecEncoder keeps the video packets sent to one subscriber since its last FEC
// packets and builds them. It belongs to the track's read loop: one packet at
// a time, no locks; after its first groups, no allocation.
type fecEncoder struct {
	twccID  uint8
	ext     []byte // the header extension block every packet carries, values zeroed
	baseSeq uint16
	firstTS uint32
	media   []fecMedia
	bodies  []byte // extension block and payload of each, back to back
	red     []byte // a media packet in RED, valid until the next wrap
	out     []byte // an FEC packet in RED, valid until the next emit
}

// fecGroups are one subscriber's FEC groups on a video track: the one being
// built, the one closed a frame ago, and the one whose FEC goes before the next
// media packet; their encoders are handed round, so that once there are three
// no group allocates. Owned by the track's read loop.
type fecGroups struct {
	building, waiting, due, spare *fecEncoder
	video                         int // video bytes sent since the last FEC
}

// current is the group being built for packets carrying the transport-wide
// sequence number in extension twccID; a new extension drops every group.
func (g *fecGroups) current(twccID uint8) *fecEncoder {
	if g.building == nil || g.building.twccID != twccID {
		*g = fecGroups{building: newFECEncoder(twccID)}
	}
	return g.building
}

// close sets the group just built aside until its FEC is due and starts the
// next. A frame's FEC goes before the first packet of the frame after next,
// two frame intervals after the frame (~140 ms at 14 fps, under Chromium's
// freeze line of three): the loss on weak links comes in bursts, and one that
// took a frame's last packet often took FEC sent a frame later too. A group of
// several frames (video not in layers) spans up to 100 ms already; its FEC
// goes before the next packet.
func (g *fecGroups) close(frameByFrame bool) {
	if frameByFrame {
		g.due, g.waiting = g.waiting, g.building
	} else {
		g.keep(g.waiting)
		g.due, g.waiting = g.building, nil
	}
	next := g.spare
	if next == nil {
		next = newFECEncoder(g.building.twccID)
	}
	next.reset()
	g.building, g.spare = next, nil
}

// reset drops the groups being built and waiting: their FEC would protect
// frames no decoder will use.
func (g *fecGroups) reset() {
	if g.building == nil {
		return
	}
	g.building.reset()
	g.keep(g.waiting)
	g.waiting, g.due = nil, nil
}

// sent notes that the due group's FEC went out, and returns the video bytes
// sent since the FEC before it.
func (g *fecGroups) sent() int {
	g.keep(g.due)
	g.due = nil
	video := g.video
	g.video = 0
	return video
}

// keep keeps e, a group done with, as the spare encoder.
func (g *fecGroups) keep(e *fecEncoder) {
	if e != nil {
		g.spare = e
	}
}

// newFECEncoder makes an encoder for packets whose transport-wide sequence
// number goes in extension twccID (1–14), or that carry none (0).
func newFECEncoder(twccID uint8) *fecEncoder {
	e := &fecEncoder{twccID: twccID, media: make([]fecMedia, 0, fecMaxGroup)}
	if twccID > 0 && twccID < 15 {
		// RFC 8285 one-byte form: profile 0xBEDE, one word, the 2-byte value
		// and a byte of padding.
		e.ext = []byte{0xbe, 0xde, 0, 1, twccID<<4 | 1, 0, 0, 0}
	}
	return e
}

// wrap returns payload in a RED packet's payload with one block of type pt.
func (e *fecEncoder) wrap(pt uint8, payload []byte) []byte {
	e.red = append(append(e.red[:0], pt&0x7f), payload...)
	return e.red
}

// add takes one media packet as sent: its sequence number, marker, payload type
// (the media's, not RED's), timestamp and payload. A packet that does not follow
// the group's last starts a new group.
func (e *fecEncoder) add(seq uint16, marker bool, pt uint8, ts uint32, payload []byte) {
	if n := len(e.media); n > 0 && seq != e.baseSeq+uint16(n) {
		e.reset()
	}
	if len(e.media) == fecMaxGroup {
		return
	}
	if len(e.media) == 0 {
		e.baseSeq, e.firstTS = seq, ts
	}
	head0 := byte(0x80)
	if e.ext != nil {
		head0 |= 0x10
	}
	head1 := pt & 0x7f
	if marker {
		head1 |= 0x80
	}
	e.media = append(e.media, fecMedia{head0: head0, head1: head1, ts: ts, length: len(e.ext) + len(payload)})
	e.bodies = append(append(e.bodies, e.ext...), payload...)
}

// due reports whether the group should get its FEC at the end of the frame at ts.
func (e *fecEncoder) due(ts uint32) bool {
	return len(e.media) >= fecGroupPackets || len(e.media) > 0 && ts-e.firstTS >= fecMaxSpan
}

// size is the number of media packets in the group.
func (e *fecEncoder) size() int { return len(e.media) }

func (e *fecEncoder) reset() {
	e.media, e.bodies = e.media[:0], e.bodies[:0]
}

// emit builds m FEC packets over the group, FEC packet i protecting media
// packets i, i+m, i+2m…, hands each to send as a RED payload with one block of
// type fecPT, and starts a new group.
func (e *fecEncoder) emit(m int, fecPT uint8, send func(payload []byte)) {
	n := len(e.media)
	m = max(1, min(m, n))
	for i := range m {
		send(e.build(i, m, fecPT))
	}
	e.reset()
}

// build makes FEC packet i of m over the group.
func (e *fecEncoder) build(i, m int, fecPT uint8) []byte {
	long := len(e.media) > 16
	maskLen := 2
	if long {
		maskLen = 6
	}
	var head0, head1 byte
	var ts uint32
	var length, protect int
	var mask uint64
	for j := i; j < len(e.media); j += m {
		p := e.media[j]
		head0, head1, ts, length = head0^p.head0, head1^p.head1, ts^p.ts, length^p.length
		protect = max(protect, p.length)
		mask |= 1 << (47 - j)
	}
	hdr := 1 + fecHeaderLen + 2 + maskLen
	if size := hdr + protect; cap(e.out) < size {
		e.out = make([]byte, size, max(size, maxPacketSize))
	} else {
		e.out = e.out[:size]
		clear(e.out)
	}
	e.out[0] = fecPT & 0x7f // the RED header: the last block, of type ULPFEC
	f := e.out[1:]
	f[0] = head0 & 0x3f // E = 0; L below
	if long {
		f[0] |= 0x40
	}
	f[1] = head1
	binary.BigEndian.PutUint16(f[2:], e.baseSeq)
	binary.BigEndian.PutUint32(f[4:], ts)
	binary.BigEndian.PutUint16(f[8:], uint16(length))
	binary.BigEndian.PutUint16(f[10:], uint16(protect))
	for k := range maskLen {
		f[12+k] = byte(mask >> (40 - 8*k))
	}
	body := e.out[hdr:]
	off := 0
	for j := range e.media {
		n := e.media[j].length
		if j%m == i {
			subtle.XORBytes(body[:n], body[:n], e.bodies[off:off+n])
		}
		off += n
	}
	return e.out
}

// seqMap remembers which publisher packet each of the last sequence numbers
// sent to a subscriber carried, or that it was FEC: FEC packets take sequence
// numbers of their own, so the offset between the two numberings moves. Written
// by the track's read loop, read by its RTCP reader.
type seqMap [packetCacheSize]atomic.Uint64

const (
	seqMapKnown = 1 << 33
	seqMapFEC   = 1 << 32
)

func (m *seqMap) record(seq, pub uint16) {
	m[seq&(packetCacheSize-1)].Store(seqMapKnown | uint64(seq)<<16 | uint64(pub))
}

func (m *seqMap) recordFEC(seq uint16) {
	m[seq&(packetCacheSize-1)].Store(seqMapKnown | seqMapFEC | uint64(seq)<<16)
}

// lookup returns what seq carried, if it is among the last ones sent.
func (m *seqMap) lookup(seq uint16) (pub uint16, fec, known bool) {
	v := m[seq&(packetCacheSize-1)].Load()
	if v&seqMapKnown == 0 || uint16(v>>16) != seq {
		return 0, false, false
	}
	return uint16(v), v&seqMapFEC != 0, true
}

// holeMap keeps, for publisher's packets not come yet, the sequence number
// the subscriber's numbering left for each. Owned by the track's read loop.
type holeMap [packetCacheSize]uint64

const holeKnown = 1 << 32

func (m *holeMap) keep(pub, seq uint16) {
	m[pub&(packetCacheSize-1)] = holeKnown | uint64(pub)<<16 | uint64(seq)
}

// take returns the number kept for pub, and forgets it.
func (m *holeMap) take(pub uint16) (seq uint16, ok bool) {
	v := &m[pub&(packetCacheSize-1)]
	if *v&holeKnown == 0 || uint16(*v>>16) != pub {
		return 0, false
	}
	seq = uint16(*v)
	*v = 0
	return seq, true
}
