package media

import (
	"fmt"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/cc"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/webrtc/v4"
)

type codecEntry struct {
	kind  webrtc.RTPCodecType
	codec webrtc.RTPCodecParameters
}

// supportedCodecs lists what the SFU forwards. RTX is not offered: retransmissions
// from the packet cache reuse the original SSRC, as Galene does. RED is Opus with
// redundancy (see red.go); video RED and ULPFEC are offered to subscribers only
// (see ulpfec.go), never taken from publishers.
func supportedCodecs(videoFEC bool) []codecEntry {
	videoFeedback := []webrtc.RTCPFeedback{{Type: "ccm", Parameter: "fir"}, {Type: "nack"}, {Type: "nack", Parameter: "pli"}}
	video := func(mime, fmtp string, pt webrtc.PayloadType) webrtc.RTPCodecParameters {
		return webrtc.RTPCodecParameters{
			RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: mime, ClockRate: 90000, SDPFmtpLine: fmtp, RTCPFeedback: videoFeedback},
			PayloadType:        pt,
		}
	}
	opus := webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1;usedtx=1"},
		PayloadType:        111,
	}
	entries := []codecEntry{
		{webrtc.RTPCodecTypeAudio, opus},
		{webrtc.RTPCodecTypeAudio, redCodec()},
		{webrtc.RTPCodecTypeVideo, video(webrtc.MimeTypeVP8, "", 96)},
		{webrtc.RTPCodecTypeVideo, video(webrtc.MimeTypeVP9, "profile-id=0", 98)},
		{webrtc.RTPCodecTypeVideo, video(webrtc.MimeTypeH264, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f", 102)},
		{webrtc.RTPCodecTypeVideo, video(webrtc.MimeTypeH264, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f", 108)},
	}
	if videoFEC {
		for _, c := range fecCodecs() {
			entries = append(entries, codecEntry{webrtc.RTPCodecTypeVideo, c})
		}
	}
	return entries
}

// maxNacksPerPacket bounds how often the node asks a publisher for one lost
// packet: 15 asks, 100 ms apart, cover three round trips of an island link and
// the recorder's 1-s wait. Unbounded, pion asks for as long as the packet is in
// its 512-packet window, up to a minute on a document camera's slideshow, and
// a browser without RTX never resends its padding: a kiosk on island-weak got
// 300–540 NACKs a minute for its document camera, on its thin downlink.
const maxNacksPerPacket = 15

// newAPI builds the pion API shared by every PeerConnection of the SFU. NACKs from
// subscribers are answered by the SFU's own packet cache, so only the NACK generator
// (towards publishers) is registered, not pion's responder. newBWE, if not nil,
// makes each PeerConnection's downlink estimator (see downlinkBWE). videoFEC
// offers subscribers FEC for video.
func newAPI(se webrtc.SettingEngine, newBWE cc.BandwidthEstimatorFactory, videoFEC bool) (*webrtc.API, error) {
	m := &webrtc.MediaEngine{}
	for _, c := range supportedCodecs(videoFEC) {
		if err := m.RegisterCodec(c.codec, c.kind); err != nil {
			return nil, fmt.Errorf("register codec %s: %w", c.codec.MimeType, err)
		}
	}
	ir := &interceptor.Registry{}
	gen, err := nack.NewGeneratorInterceptor(nack.GeneratorMaxNacksPerPacket(maxNacksPerPacket))
	if err != nil {
		return nil, fmt.Errorf("nack generator: %w", err)
	}
	ir.Add(gen)
	if err := webrtc.ConfigureRTCPReports(ir); err != nil {
		return nil, fmt.Errorf("rtcp reports: %w", err)
	}
	// Transport-wide feedback lets publishers' browsers estimate their uplink, which
	// matters on island 4G links.
	if err := webrtc.ConfigureTWCCSender(m, ir); err != nil {
		return nil, fmt.Errorf("twcc feedback: %w", err)
	}
	if newBWE != nil {
		// The estimator must see the transport-wide sequence numbers, so the
		// interceptor that stamps them is added after it (it runs first).
		ccf, err := cc.NewInterceptor(newBWE)
		if err != nil {
			return nil, fmt.Errorf("downlink estimator: %w", err)
		}
		ir.Add(ccf)
		if err := webrtc.ConfigureTWCCHeaderExtensionSender(m, ir); err != nil {
			return nil, fmt.Errorf("twcc sequence numbers: %w", err)
		}
	}
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se)), nil
}
