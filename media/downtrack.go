package media

import (
	"errors"
	"io"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
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
	hold atomic.Int32
	kept [][]byte

	// While video to the subscriber is paused its packets are skipped; the
	// sequence numbers it sees are shifted down by seqOffset so that the skipped
	// ones never look lost (and are never NACKed).
	video     bool
	gap       atomic.Bool   // packets were skipped since the last one forwarded
	lastSeq   atomic.Uint32 // publisher's sequence number last forwarded, | seqValid
	seqOffset atomic.Uint32 // low 16 bits used
	resumedAt atomic.Uint32 // subscriber's sequence number video last resumed at, | seqValid
	// offeredPT is the payload type the server's offers give this track (the
	// publisher's), or 0 when the transceiver offers every negotiated codec.
	// Set once, before the first offer.
	offeredPT webrtc.PayloadType
	// offeredRED is RED's payload type where the server's offers give this
	// (Opus) track RED too, else 0. Set once, before the first offer.
	offeredRED webrtc.PayloadType

	// redLoss is the loss the subscriber reports on this (audio) track, which
	// sets how much redundancy it gets; redBps is what that redundancy adds.
	redLoss redLoss
	redBps  atomic.Int64
}

const seqValid = 1 << 16

// trackBinding is what negotiation decided for a downTrack.
type trackBinding struct {
	ssrc        uint32
	payloadType uint8
	redPT       uint8 // the subscriber takes RED under this payload type; 0: Opus only
	writer      webrtc.TrackLocalWriter
}

// rtpScratch is header space owned by one writing goroutine, so that rewriting the
// SSRC and payload type per subscriber neither allocates nor touches the original.
type rtpScratch struct {
	hdr rtp.Header
	ext [4]rtp.Extension
}

func newDownTrack(up *upTrack, sub *Peer) *downTrack {
	return &downTrack{
		up:     up,
		peer:   sub,
		id:     string(up.info.Source),
		stream: streamID(up.info.Party, up.info.Source),
		video:  up.info.Kind == webrtc.RTPCodecTypeVideo,
	}
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
	d.binding.Store(b)
	// A new subscriber can only start decoding at a keyframe.
	d.requestKeyframe(true)
	return codec, nil
}

// boundRED is the RED codec the subscriber takes for this track, if the
// server offered RED and the subscriber negotiated it.
func (d *downTrack) boundRED(negotiated []webrtc.RTPCodecParameters) (webrtc.RTPCodecParameters, bool) {
	if d.offeredRED == 0 || d.up.redOffer == nil || !slices.ContainsFunc(negotiated, isRED) {
		return webrtc.RTPCodecParameters{}, false
	}
	red := *d.up.redOffer
	red.PayloadType = d.offeredRED
	return red, true
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

// writeRTP sends one packet with the subscriber's SSRC and payload type and reports
// whether it was written. out belongs to the calling goroutine. Header extensions are
// dropped: their ids were negotiated with the publisher, not with this subscriber.
func (d *downTrack) writeRTP(src *rtp.Header, payload []byte, out *rtpScratch) bool {
	b := d.binding.Load()
	if b == nil || d.video && d.peer.videoPaused.Load() {
		return false
	}
	return d.write(b, src, payload, b.payloadType, out)
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
	if b.redPT == 0 {
		return d.write(b, src, primary, b.payloadType, out)
	}
	payload := red
	if enc != nil {
		k := d.redLoss.redundancy(d.up.redMax, len(primary), d.peer.counters.downlinkEstimate.Load())
		if red == nil || redBlocks(red) < k {
			// Forwarding counts the packet as received; what the node adds is
			// counted here, so resends see it in the subscriber's budget.
			received := len(red)
			if red == nil {
				received = len(primary)
			}
			payload = enc.encode(src.Timestamp, b.payloadType, primary, k)
			if extra := len(payload) - received; extra > 0 {
				d.peer.counters.bytesForwarded.Add(uint64(extra))
			}
		}
		d.redBps.Store(audioRate(len(primary), k) - audioRate(len(primary), 0))
	}
	if payload == nil {
		return d.write(b, src, primary, b.payloadType, out)
	}
	d.peer.counters.redForwarded.Add(1)
	return d.write(b, src, payload, b.redPT, out)
}

func (d *downTrack) write(b *trackBinding, src *rtp.Header, payload []byte, pt uint8, out *rtpScratch) bool {
	out.hdr = *src
	out.hdr.SequenceNumber -= uint16(d.seqOffset.Load())
	out.hdr.SSRC = b.ssrc
	out.hdr.PayloadType = pt
	out.hdr.Extension = false
	out.hdr.Extensions = out.ext[:0]
	_, err := b.writer.WriteRTP(&out.hdr, payload)
	return err == nil
}

// forwardRTP is writeRTP for the publisher's live video packets: it skips them
// while video is paused and closes the sequence gap the pause left when video
// resumes. Audio goes through forwardAudio.
func (d *downTrack) forwardRTP(src *rtp.Header, payload []byte, out *rtpScratch) bool {
	if d.peer.videoPaused.Load() {
		d.gap.Store(true)
		return false
	}
	last := d.lastSeq.Load()
	if d.gap.Swap(false) && last&seqValid != 0 {
		off := d.seqOffset.Add(uint32(src.SequenceNumber - uint16(last) - 1))
		d.resumedAt.Store(uint32(src.SequenceNumber-uint16(off)) | seqValid)
	}
	d.lastSeq.Store(uint32(src.SequenceNumber) | seqValid)
	return d.writeRTP(src, payload, out)
}

// publisherNack maps a subscriber's NACK back to the publisher's sequence numbers,
// which the packet cache is keyed by. Packets lost before video last paused are
// not resent: the decoder restarts at the keyframe asked for on resuming, and
// resends that old fall outside the receiver's SRTP replay window, so on a weak
// link they would only crowd out the audio.
func (d *downTrack) publisherNack(n *rtcp.TransportLayerNack) *rtcp.TransportLayerNack {
	off := uint16(d.seqOffset.Load())
	if off == 0 {
		return n
	}
	resumed := d.resumedAt.Load()
	out := *n
	out.Nacks = make([]rtcp.NackPair, 0, len(n.Nacks))
	for _, p := range n.Nacks {
		if resumed&seqValid != 0 && int16(p.PacketID+16-uint16(resumed)) < 0 {
			continue
		}
		out.Nacks = append(out.Nacks, rtcp.NackPair{PacketID: p.PacketID + off, LostPackets: p.LostPackets})
	}
	return &out
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
				resend.answer(d.publisherNack(pkt))
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
