package media

import (
	"slices"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

// onTrack publishes a track the client sends and starts its read loops.
func (p *Peer) onTrack(remote *webrtc.TrackRemote, recv *webrtc.RTPReceiver) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	info := TrackInfo{
		PeerID: p.id,
		Party:  p.party,
		Source: p.sourceFor(remote),
		Kind:   remote.Kind(),
		Codec:  remote.Codec(),
		SSRC:   uint32(remote.SSRC()),
	}
	// A RED track is published as the Opus it carries; subscribers that
	// negotiated RED still get the RED packets.
	var red *webrtc.RTPCodecParameters
	if isRED(info.Codec) {
		if opus, ok := primaryCodec(info.Codec, recv.GetParameters().Codecs); ok {
			codec := info.Codec
			red, info.Codec = &codec, opus
		}
	}
	up := newUpTrack(info, &p.counters, p.metrics, p.pc.WriteRTCP)
	up.red = red
	up.stopReads = func() {
		now := time.Now()
		_ = remote.SetReadDeadline(now)
		_ = recv.SetReadDeadline(now)
	}
	up.setRedundancy(p.currentRoom().sfu.redundancy) // a call may be adopting the peer
	p.published = append(p.published, up)
	p.mu.Unlock()

	p.log.Info("track published", "source", info.Source, "codec", info.Codec.MimeType, "red", red != nil, "ssrc", info.SSRC)
	p.currentRoom().publish(up)
	if !p.goTracked(func() { p.readTrack(up, remote) }) {
		p.unpublish(up)
		return
	}
	p.goTracked(func() { readSenderReports(up, recv) })
}

// sourceFor labels a new track: as the client said in HandleOffer, else audio for
// audio, camera for the first video and document for the next. p.mu is held.
func (p *Peer) sourceFor(remote *webrtc.TrackRemote) Source {
	kind := remote.Kind()
	if s, ok := p.sources[remote.ID()]; ok && s.fits(kind) {
		return s
	}
	if kind == webrtc.RTPCodecTypeAudio {
		return SourceAudio
	}
	for _, up := range p.published {
		if up.info.Source == SourceCamera {
			return SourceDocument
		}
	}
	return SourceCamera
}

func (s Source) fits(kind webrtc.RTPCodecType) bool {
	switch s {
	case SourceAudio:
		return kind == webrtc.RTPCodecTypeAudio
	case SourceCamera, SourceDocument:
		return kind == webrtc.RTPCodecTypeVideo
	}
	return false
}

// readTrack is the track's read loop; it ends when the client stops sending the
// track or the PeerConnection closes.
func (p *Peer) readTrack(up *upTrack, remote *webrtc.TrackRemote) {
	buf := make([]byte, maxPacketSize)
	for {
		n, _, err := remote.Read(buf)
		if err != nil {
			break
		}
		up.forward(buf[:n])
	}
	p.unpublish(up)
}

func (p *Peer) unpublish(up *upTrack) {
	p.mu.Lock()
	p.published = slices.DeleteFunc(p.published, func(x *upTrack) bool { return x == up })
	p.mu.Unlock()
	downs := up.end()
	p.currentRoom().unpublish(up, downs)
	p.log.Info("track ended", "source", up.info.Source)
}

// readSenderReports drains the publisher's RTCP for one track, which also feeds
// pion's interceptors, and keeps its sender reports for the sinks' A/V sync.
func readSenderReports(up *upTrack, recv *webrtc.RTPReceiver) {
	buf := make([]byte, maxPacketSize)
	for {
		n, _, err := recv.Read(buf)
		if err != nil {
			return
		}
		pkts, err := rtcp.Unmarshal(buf[:n])
		if err != nil {
			continue
		}
		up.storeSenderReport(pkts)
	}
}
