package media

import (
	"sync/atomic"
	"time"
)

// RoomStats is a snapshot of a room's forwarding counters.
type RoomStats struct {
	ID    string
	Peers map[string]PeerStats // by peer id
}

// PeerStats counts what the SFU did for one peer.
type PeerStats struct {
	Party string
	// Received from this peer as a publisher.
	PacketsPublished, BytesPublished uint64
	// Forwarded to this peer as a subscriber (retransmissions not included).
	PacketsForwarded, BytesForwarded uint64
	// Packets resent to this peer from the packet cache after its NACKs.
	NACKsAnswered uint64
	// NACKed packets not resent to this peer: the resend cap, or no longer cached.
	NACKsSuppressed uint64
	// Audio packets this peer published as RED (redundant Opus), and RED
	// packets forwarded to it as they came; the others get the Opus inside.
	REDPublished, REDForwarded uint64
	// Video FEC packets (ULPFEC in RED) sent to this peer on a lossy link.
	FECForwarded uint64
	// Keyframe requests sent to this peer as a publisher.
	KeyframeRequests uint64
	// Downlink adaptation: the last estimate of this peer's downlink (bit/s, 0 when
	// adaptation is off) and whether video to it is paused.
	DownlinkEstimate int64
	VideoPaused      bool
	// The most this peer's browser may send, as the node last told it by
	// REMB (bit/s, 0 before the first): its video cap and its audio.
	SendLimit int64
	// This peer's link as its own receiver reports tell it: the round trip
	// (0 until known) and the fraction of packets it last reported lost.
	RTT          time.Duration
	FractionLost float64
}

// packetOverhead is what a packet costs on the wire beyond its RTP bytes:
// IPv4 and UDP headers and the SRTP authentication tag. A browser's own
// estimate counts it.
const packetOverhead = 20 + 8 + 10

// peerCounters is updated from read loops without locks.
type peerCounters struct {
	packetsPublished, bytesPublished atomic.Uint64
	videoBytesPublished              atomic.Uint64
	audioWireBytesPublished          atomic.Uint64 // with each packet's IP, UDP and SRTP overhead
	packetsForwarded, bytesForwarded atomic.Uint64
	nacksAnswered, keyframeRequests  atomic.Uint64
	nacksSuppressed                  atomic.Uint64
	redPublished, redForwarded       atomic.Uint64
	fecForwarded                     atomic.Uint64
	downlinkEstimate                 atomic.Int64
	// delayEstimate is the downlink estimate's delay-based part, which random
	// loss does not lower: video and audio redundancy are fitted into it.
	delayEstimate atomic.Int64
	sendLimit     atomic.Int64 // the REMB last sent to this peer as a publisher
	videoPaused   atomic.Bool
	rtt           atomic.Int64  // ns
	fractionLost  atomic.Uint32 // of 256, as in RTCP
}

func (c *peerCounters) snapshot(party string) PeerStats {
	return PeerStats{
		Party:            party,
		PacketsPublished: c.packetsPublished.Load(),
		BytesPublished:   c.bytesPublished.Load(),
		PacketsForwarded: c.packetsForwarded.Load(),
		BytesForwarded:   c.bytesForwarded.Load(),
		NACKsAnswered:    c.nacksAnswered.Load(),
		NACKsSuppressed:  c.nacksSuppressed.Load(),
		REDPublished:     c.redPublished.Load(),
		REDForwarded:     c.redForwarded.Load(),
		FECForwarded:     c.fecForwarded.Load(),
		KeyframeRequests: c.keyframeRequests.Load(),
		DownlinkEstimate: c.downlinkEstimate.Load(),
		VideoPaused:      c.videoPaused.Load(),
		SendLimit:        c.sendLimit.Load(),
		RTT:              time.Duration(c.rtt.Load()),
		FractionLost:     float64(c.fractionLost.Load()) / 256,
	}
}
