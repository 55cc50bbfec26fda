package media

import (
	"errors"
	"io"
	"math"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// downTrack is one published track as sent to one subscriber. It implements
// webrtc.TrackLocal itself because TrackLocalStaticRTP holds a lock across writes;
// here the negotiated SSRC, payload type and writer sit behind one atomic pointer.
type downTrack struct {
	up      *upTrack
	peer    *Peer // the subscriber
	id      string
	stream  string
	sender  *webrtc.RTPSender
	binding atomic.Pointer[trackBinding]
	// hold is holdOff, or the state of a downTrack negotiated ahead of a
	// call that rings (hold.go); kept is what an armed one keeps, owned by
	// the track's read loop.
	hold    atomic.Int32
	armedAt atomic.Int64 // monoNow when armed
	kept    [][]byte

	// While video to the subscriber is paused its packets are skipped, and
	// padding is never forwarded; the sequence numbers it sees are shifted down
	// by seqOffset so that the skipped ones never look lost (and are never
	// NACKed).
	video     bool
	vp8       bool          // its temporal layers are read from the VP8 descriptor (FEC)
	gap       atomic.Bool   // packets were skipped since the last one forwarded
	lastSeq   atomic.Uint32 // publisher's sequence number last forwarded or skipped as padding, | seqValid
	seqOffset atomic.Uint32 // low 16 bits used
	resumedAt atomic.Uint32 // subscriber's sequence number video last resumed at, | seqValid
	// offeredPT is the payload type the server's offers give this track (the
	// publisher's), or 0 when the transceiver offers every negotiated codec.
	// Set once, before the first offer.
	offeredPT webrtc.PayloadType
	// offeredRED is RED's payload type where the server's offers give this
	// track RED too, else 0; offeredFEC is ULPFEC's where they give this (video)
	// track FEC. Set once, before the first offer.
	offeredRED, offeredFEC webrtc.PayloadType
	// holes are the publisher's packets not come yet (keepHoles); owned by
	// the track's read loop; nil for audio.
	holes *holeMap
	// sent maps the sequence numbers the subscriber saw back to the
	// publisher's, for NACKs; nil for audio.
	sent *seqMap
	// fec builds FEC while the subscriber reports loss on this video track
	// (ulpfec.go); empty until first needed. Owned by the track's read loop.
	fec fecGroups

	// redLoss is the loss the subscriber reports on this track, which sets how
	// much redundancy it gets; redBps is what audio redundancy adds, fecRatio
	// (float64 bits) FEC bytes per video byte, smoothed over FEC groups.
	redLoss  redLoss
	redBps   atomic.Int64
	fecRatio atomic.Uint64
}

const seqValid = 1 << 16

// trackBinding is what negotiation decided for a downTrack.
type trackBinding struct {
	ssrc        uint32
	payloadType uint8
	redPT       uint8 // the subscriber takes RED under this payload type; 0: Opus only
	fecPT       uint8 // the subscriber takes ULPFEC (in RED) under this payload type; 0: no FEC
	twccID      uint8 // the header extension every packet gets a transport-wide sequence number in; 0: none
	writer      webrtc.TrackLocalWriter
}

// rtpScratch is header space owned by one writing goroutine, so that rewriting the
// SSRC and payload type per subscriber neither allocates nor touches the original.
type rtpScratch struct {
	hdr rtp.Header
	ext [4]rtp.Extension
}

func newDownTrack(up *upTrack, sub *Peer) *downTrack {
	d := &downTrack{
		up:     up,
		peer:   sub,
		id:     string(up.info.Source),
		stream: streamID(up.info.Party, up.info.Source),
		video:  up.info.Kind == webrtc.RTPCodecTypeVideo,
		vp8:    strings.EqualFold(up.info.Codec.MimeType, webrtc.MimeTypeVP8),
	}
	if d.video {
		d.sent, d.holes = &seqMap{}, &holeMap{}
	}
	return d
}

// Bind picks the negotiated codec that matches the publisher's.
func (d *downTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	codec, ok := matchCodec(d.up.info.Codec, ctx.CodecParameters())
	if !ok {
		return webrtc.RTPCodecParameters{}, webrtc.ErrUnsupportedCodec
	}
	// The server offered this track's m-section with the publisher's codec under the
	// publisher's payload type (Peer.subscribe makes it the transceiver's only codec),
	// and the subscriber answers with the offered numbers. pion's list here holds the
	// numbers of the subscriber's own first offer instead, which differ between
	// browsers (Firefox has VP8 as 120, Chromium as 96): packets sent under those are
	// dropped by the subscriber.
	if d.offeredPT != 0 {
		codec.PayloadType = d.offeredPT
	}
	b := &trackBinding{ssrc: uint32(ctx.SSRC()), payloadType: uint8(codec.PayloadType), writer: ctx.WriteStream()}
	if red, ok := d.boundRED(ctx.CodecParameters()); ok {
		b.redPT, codec = uint8(red.PayloadType), red
	}
	if d.boundFEC(ctx.CodecParameters()) {
		b.redPT, b.fecPT = uint8(d.offeredRED), uint8(d.offeredFEC)
		b.twccID = twccExtension(ctx.HeaderExtensions())
	}
	d.binding.Store(b)
	// A new subscriber can only start decoding at a keyframe.
	d.requestKeyframe(true)
	return codec, nil
}

// boundRED is the RED codec the subscriber takes for this track, if the
// server offered RED and the subscriber negotiated it.
func (d *downTrack) boundRED(negotiated []webrtc.RTPCodecParameters) (webrtc.RTPCodecParameters, bool) {
	if d.video || d.offeredRED == 0 || d.up.redOffer == nil || !slices.ContainsFunc(negotiated, isRED) {
		return webrtc.RTPCodecParameters{}, false
	}
	red := *d.up.redOffer
	red.PayloadType = d.offeredRED
	return red, true
}

// boundFEC reports whether the server offered FEC for this video track and
// the subscriber negotiated both RED and ULPFEC.
func (d *downTrack) boundFEC(negotiated []webrtc.RTPCodecParameters) bool {
	has := func(mime string) bool {
		return slices.ContainsFunc(negotiated, func(c webrtc.RTPCodecParameters) bool { return strings.EqualFold(c.MimeType, mime) })
	}
	return d.offeredFEC != 0 && d.offeredRED != 0 && has(mimeTypeVideoRED) && has(webrtc.MimeTypeUlpFEC)
}

// twccExtension is the id of the transport-wide sequence number among the
// negotiated header extensions, 0 if it is not one of them.
func twccExtension(exts []webrtc.RTPHeaderExtensionParameter) uint8 {
	for _, e := range exts {
		if e.URI == sdp.TransportCCURI {
			return uint8(e.ID)
		}
	}
	return 0
}

// Unbind stops writes to the subscriber.
func (d *downTrack) Unbind(webrtc.TrackLocalContext) error {
	d.binding.Store(nil)
	return nil
}

func (d *downTrack) ID() string                { return d.id }
func (d *downTrack) RID() string               { return "" }
func (d *downTrack) StreamID() string          { return d.stream }
func (d *downTrack) Kind() webrtc.RTPCodecType { return d.up.info.Kind }

// resendRTP sends a cached packet again under the sequence number seq the
// subscriber first saw it as, and reports whether it was written. out belongs
// to the calling goroutine.
func (d *downTrack) resendRTP(src *rtp.Header, seq uint16, payload []byte, out *rtpScratch) bool {
	b := d.binding.Load()
	if b == nil || d.video && d.peer.videoPaused.Load() {
		return false
	}
	return d.write(b, src, seq, payload, b.payloadType, out)
}

// forwardAudio sends one packet of an Opus track: red is the RED payload that
// carried primary (nil for plain Opus), enc the track's RED encoder (nil when the
// node builds no RED). A subscriber that negotiated RED gets red when it carries
// as much redundancy as the subscriber's loss asks for, else RED built by enc;
// the others get the Opus frame.
func (d *downTrack) forwardAudio(src *rtp.Header, red, primary []byte, enc *redEncoder, out *rtpScratch) bool {
	b := d.binding.Load()
	if b == nil {
		return false
	}
	seq := src.SequenceNumber - uint16(d.seqOffset.Load())
	if b.redPT == 0 {
		return d.write(b, src, seq, primary, b.payloadType, out)
	}
	payload := red
	if enc != nil {
		// Within the link's delay-based estimate, as video: at 20 % random
		// loss the whole estimate sits at its floor, which holds one frame.
		plan := d.redLoss.plan(d.up.redMax, len(primary), d.peer.counters.delayEstimate.Load(), int(d.peer.redFloor.want.Load()))
		// A publisher's RED repeats the frames just before (Chromium's does).
		sent := redBlocks(red)
		if red == nil || sent < plan.k || plan.reach > plan.k {
			sent = plan.k
			// Forwarding counts the packet as received; what the node adds is
			// counted here, so resends see it in the subscriber's budget.
			received := len(red)
			if red == nil {
				received = len(primary)
			}
			payload = enc.encode(src.Timestamp, b.payloadType, primary, plan)
			if extra := len(payload) - received; extra > 0 {
				d.peer.counters.bytesForwarded.Add(uint64(extra))
			}
		}
		// What a publisher's RED passed on carries over the plan is the
		// subscriber's to carry too.
		d.redBps.Store(audioRate(len(primary), sent) - audioRate(len(primary), 0))
	}
	if payload == nil {
		return d.write(b, src, seq, primary, b.payloadType, out)
	}
	d.peer.counters.redForwarded.Add(1)
	return d.write(b, src, seq, payload, b.redPT, out)
}

// skipPadding closes the subscriber's numbering over a padding packet it is
// not sent (upTrack.dropPadding). While video is paused, or its resume is
// pending, padding is skipped like any packet: the resume closes the gap.
func (d *downTrack) skipPadding(seq uint16) {
	if d.video {
		if d.peer.videoPaused.Load() {
			d.gap.Store(true)
		}
		if d.gap.Load() {
			return
		}
		d.lastSeq.Store(uint32(seq) | seqValid)
	}
	d.seqOffset.Add(1)
}

// write sends one packet with the subscriber's SSRC, sequence number seq and
// payload type pt. Header extensions are dropped: their ids were negotiated with
// the publisher, not with this subscriber.
func (d *downTrack) write(b *trackBinding, src *rtp.Header, seq uint16, payload []byte, pt uint8, out *rtpScratch) bool {
	out.hdr = *src
	out.hdr.SequenceNumber = seq
	out.hdr.SSRC = b.ssrc
	out.hdr.PayloadType = pt
	out.hdr.Extension = false
	out.hdr.Extensions = out.ext[:0]
	_, err := b.writer.WriteRTP(&out.hdr, payload)
	return err == nil
}

// forwardRTP sends one of the publisher's live video packets: it skips them
// while video is paused, closes the sequence gap the pause left when video
// resumes, and adds FEC while the subscriber's link loses packets. Audio goes
// through forwardAudio.
func (d *downTrack) forwardRTP(src *rtp.Header, payload []byte, out *rtpScratch) bool {
	if d.peer.videoPaused.Load() {
		d.gap.Store(true)
		return false
	}
	last := d.lastSeq.Load()
	known := last&seqValid != 0
	late := known && int16(src.SequenceNumber-uint16(last)) <= 0
	switch {
	case !known || late:
	case d.gap.Swap(false):
		off := d.seqOffset.Add(uint32(src.SequenceNumber - uint16(last) - 1))
		d.resumedAt.Store(uint32(src.SequenceNumber-uint16(off)) | seqValid)
		d.fec.reset() // its FEC would protect frames before the pause: the decoder restarts at a keyframe
	case src.SequenceNumber != uint16(last)+1:
		d.keepHoles(uint16(last)+1, src.SequenceNumber)
	}
	if !late {
		d.lastSeq.Store(uint32(src.SequenceNumber) | seqValid)
	}
	b := d.binding.Load()
	if b == nil {
		return false
	}
	if f := d.fec.due; !late && f != nil && b.fecPT != 0 && f.twccID == b.twccID {
		d.sendFEC(b, src, out) // else a new binding drops the group (forwardProtected, or no FEC)
	}
	seq := src.SequenceNumber - uint16(d.seqOffset.Load())
	if late {
		var ok bool
		if seq, ok = d.holes.take(src.SequenceNumber); !ok {
			return false // sent already, or older than any hole kept
		}
	}
	d.sent.record(seq, src.SequenceNumber)
	if b.fecPT == 0 || !d.fecWanted() {
		if d.fec.building != nil {
			d.fec.reset()
			if d.fecRatio.Load() != 0 { // a store per packet would contend with the adaptation loop's reads
				d.fecRatio.Store(0)
			}
		}
		return d.write(b, src, seq, payload, b.payloadType, out)
	}
	return d.forwardProtected(b, src, seq, payload, out)
}

// keepHoles notes the publisher's packets from first up to next (not
// included), skipped over because they have not come, under the numbers the
// subscriber's numbering leaves them now: a NACK for one asks for it, and one
// that comes late goes out under its number, though FEC or skipped padding
// may have moved the numbering since. A run longer than maxHoles is an
// outage, not a loss a resend could mend.
func (d *downTrack) keepHoles(first, next uint16) {
	const maxHoles = 64
	if next-first > maxHoles {
		first = next - maxHoles
	}
	off := uint16(d.seqOffset.Load())
	for pub := first; pub != next; pub++ {
		d.holes.keep(pub, pub-off)
		d.sent.record(pub-off, pub)
	}
}

// fecWanted reports whether the subscriber's link asks for FEC: it loses
// packets, and adaptation is on (FEC is paid for out of its estimate).
func (d *downTrack) fecWanted() bool {
	loss, known := d.fecLoss()
	return known && loss >= fecMinLoss && d.peer.counters.downlinkEstimate.Load() > 0
}

// fecLoss is the loss FEC to this subscriber is sized for: what it reports on
// the track, but no more than the node's link to it loses (Peer.linkLoss),
// once that is known.
func (d *downTrack) fecLoss() (float64, bool) {
	loss, known := d.redLoss.share()
	if link, ok := d.peer.linkLoss.share(); ok {
		loss = min(loss, link)
	}
	return loss, known
}

// forwardProtected sends a video packet in RED and adds it to the FEC group
// being built; at the end of a frame that closes the group, the group waits
// for its FEC to be sent (fecGroups.close, sendFEC).
func (d *downTrack) forwardProtected(b *trackBinding, src *rtp.Header, seq uint16, payload []byte, out *rtpScratch) bool {
	f := d.fec.current(b.twccID)
	if !d.write(b, src, seq, f.wrap(b.payloadType, payload), b.redPT, out) {
		return false
	}
	d.fec.video += rtpHeaderLen + 1 + len(payload)
	if d.fec.due != nil {
		return true // a late packet between a closed group and its FEC: unprotected
	}
	// Video in temporal layers is protected a frame at a time, in every layer:
	// a receiver holds each frame after a missing one, whatever its layer,
	// until the missing one comes, so any frame FEC does not mend waits for a
	// resend, a round trip and more on a weak link.
	layered := false
	if d.vp8 {
		_, layered = vp8TemporalLayer(payload)
	}
	f.add(seq, src.Marker, b.payloadType, src.Timestamp, payload)
	if src.Marker && (layered || f.due(src.Timestamp)) {
		d.fec.close(layered)
	}
	return true
}

// sendFEC sends the FEC packets of the group due just before the media packet
// src, each under the number src would have taken (src and what follows move
// after them), and counts what they add.
func (d *downTrack) sendFEC(b *trackBinding, src *rtp.Header, out *rtpScratch) {
	f := d.fec.due
	loss, _ := d.fecLoss()
	sent := 0
	f.emit(fecPacketsFor(f.size(), loss), b.fecPT, func(p []byte) {
		fseq := src.SequenceNumber - uint16(d.seqOffset.Add(^uint32(0))+1)
		d.sent.recordFEC(fseq)
		hdr := *src
		hdr.Marker = false
		if d.write(b, &hdr, fseq, p, b.redPT, out) {
			sent += rtpHeaderLen + len(p)
			d.peer.counters.fecForwarded.Add(1)
			d.up.metrics.fecPackets.Inc()
		}
	})
	video := d.fec.sent()
	d.peer.counters.bytesForwarded.Add(uint64(sent))
	old := math.Float64frombits(d.fecRatio.Load())
	d.fecRatio.Store(math.Float64bits(0.8*old + 0.2*float64(sent)/float64(max(video, 1))))
}

// publisherSeq maps a sequence number the subscriber NACKed back to the
// publisher's, which the packet cache is keyed by; ok is false for one that is
// not to be resent. FEC packets are not: the next group protects what matters
// now. Nor are packets lost before video last paused: the decoder restarts at
// the keyframe asked for on resuming, and resends that old fall outside the
// receiver's SRTP replay window, so on a weak link they would only crowd out
// the audio.
func (d *downTrack) publisherSeq(seq uint16) (pub uint16, ok bool) {
	if r := d.resumedAt.Load(); r&seqValid != 0 && int16(seq-uint16(r)) < 0 {
		return 0, false
	}
	if d.sent != nil {
		if pub, fec, known := d.sent.lookup(seq); known {
			return pub, !fec
		}
	}
	return seq + uint16(d.seqOffset.Load()), true
}

// readRTCP serves the subscriber's feedback for this track until the sender stops:
// keyframe requests go to the publisher (coalesced), NACKs are answered from the
// packet cache. Reading also keeps pion's interceptors fed.
func (d *downTrack) readRTCP() {
	buf := make([]byte, maxPacketSize)
	resend := newResender(d)
	for {
		n, _, err := d.sender.Read(buf)
		if err != nil {
			if !errors.Is(err, io.EOF) {
				d.peer.log.Debug("subscriber rtcp ended", "track", d.id, "err", err)
			}
			return
		}
		pkts, err := rtcp.Unmarshal(buf[:n])
		if err != nil {
			continue
		}
		for _, pkt := range pkts {
			switch pkt := pkt.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				d.requestKeyframe(false)
			case *rtcp.TransportLayerNack:
				resend.answer(pkt)
			case *rtcp.ReceiverReport:
				resend.observe(pkt)
			}
		}
	}
}

// matchCodec finds the negotiated codec for the publisher's codec: same MIME type
// and clock rate, preferring identical format parameters (H.264 profiles).
func matchCodec(want webrtc.RTPCodecParameters, offered []webrtc.RTPCodecParameters) (webrtc.RTPCodecParameters, bool) {
	var found webrtc.RTPCodecParameters
	ok := false
	for _, c := range offered {
		if !strings.EqualFold(c.MimeType, want.MimeType) || c.ClockRate != want.ClockRate {
			continue
		}
		if c.SDPFmtpLine == want.SDPFmtpLine {
			return c, true
		}
		if !ok {
			found, ok = c, true
		}
	}
	return found, ok
}
