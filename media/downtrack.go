package media

import (
	"errors"
	"io"
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
	// offeredPT is the payload type the server's offers give this track (the
	// publisher's), or 0 when the transceiver offers every negotiated codec.
	// Set once, before the first offer.
	offeredPT webrtc.PayloadType
}

// trackBinding is what negotiation decided for a downTrack.
type trackBinding struct {
	ssrc        uint32
	payloadType uint8
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
	d.binding.Store(&trackBinding{
		ssrc:        uint32(ctx.SSRC()),
		payloadType: uint8(codec.PayloadType),
		writer:      ctx.WriteStream(),
	})
	// A new subscriber can only start decoding at a keyframe.
	d.up.requestKeyframe()
	return codec, nil
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
	if b == nil {
		return false
	}
	out.hdr = *src
	out.hdr.SSRC = b.ssrc
	out.hdr.PayloadType = b.payloadType
	out.hdr.Extension = false
	out.hdr.Extensions = out.ext[:0]
	_, err := b.writer.WriteRTP(&out.hdr, payload)
	return err == nil
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
				d.up.requestKeyframe()
			case *rtcp.TransportLayerNack:
				resend.answer(pkt)
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
