package media

import (
	"encoding/binary"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/cc"
	"github.com/pion/interceptor/pkg/gcc"
	"github.com/pion/logging"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
)

// Bounds of a subscriber's downlink estimate, in bit/s.
const (
	minEstimate     = 30_000
	maxEstimate     = 4_000_000
	initialEstimate = 1_000_000
	// thinLinkStart is where the estimate of a link known to be thin starts:
	// video's floor and the voice fit in it, and it grows from there as the
	// link allows.
	thinLinkStart = 250_000
)

// downlinkBWE estimates one subscriber's downlink from its transport-wide feedback
// (Google congestion control, the SFU being the sender). Unlike a bare estimator it
// can start over: once video to a weak subscriber is paused only audio flows, and
// an estimate grown from audio alone could never tell that the link recovered.
// Trying video again starts a fresh estimate from a given rate.
type downlinkBWE struct {
	logs logging.LoggerFactory

	mu      sync.Mutex // serialises AddStream and reset
	streams []bweStream
	closed  bool

	cur atomic.Pointer[bweState]
	// loss counts what the feedback reports lost, across resets.
	loss lossCounter
}

type bweStream struct {
	info   *interceptor.StreamInfo
	writer interceptor.RTPWriter
}

// bweState is one estimator and the writers it returned, by SSRC.
type bweState struct {
	gcc     *gcc.SendSideBWE
	writers map[uint32]interceptor.RTPWriter
}

var _ cc.BandwidthEstimator = (*downlinkBWE)(nil)

func newDownlinkBWE(logs logging.LoggerFactory) (*downlinkBWE, error) {
	b := &downlinkBWE{logs: logs}
	g, err := b.newGCC(initialEstimate)
	if err != nil {
		return nil, err
	}
	b.cur.Store(&bweState{gcc: g, writers: map[uint32]interceptor.RTPWriter{}})
	return b, nil
}

// newGCC builds an estimator without a pacer: the SFU forwards what publishers
// send as it comes, and adapts by capping publishers and pausing video instead.
func (b *downlinkBWE) newGCC(initial int) (*gcc.SendSideBWE, error) {
	return gcc.NewSendSideBWE(
		gcc.SendSideBWEInitialBitrate(initial), gcc.SendSideBWEMinBitrate(minEstimate),
		gcc.SendSideBWEMaxBitrate(maxEstimate), gcc.SendSideBWEPacer(gcc.NewNoOpPacer()),
		gcc.WithLoggerFactory(b.logs))
}

// AddStream registers an outgoing stream; its packets are counted by whichever
// estimator is current.
func (b *downlinkBWE) AddStream(info *interceptor.StreamInfo, writer interceptor.RTPWriter) interceptor.RTPWriter {
	b.mu.Lock()
	b.streams = append(b.streams, bweStream{info, writer})
	old := b.cur.Load()
	next := &bweState{gcc: old.gcc, writers: cloneWriters(old.writers)}
	next.writers[info.SSRC] = old.gcc.AddStream(info, writer)
	b.cur.Store(next)
	b.mu.Unlock()
	audio, twcc := strings.HasPrefix(strings.ToLower(info.MimeType), "audio/"), transportCCID(info)
	var seqs sentSeqs
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		if twcc != 0 {
			if ext := h.GetExtension(twcc); len(ext) >= 2 {
				b.loss.sent(binary.BigEndian.Uint16(ext), audio, seqs.again(h.SequenceNumber))
			}
		}
		if w := b.cur.Load().writers[h.SSRC]; w != nil {
			return w.Write(h, payload, a)
		}
		return writer.Write(h, payload, a)
	})
}

// transportCCID is the header extension ID of the stream's transport-wide
// sequence numbers, 0 if it has none.
func transportCCID(info *interceptor.StreamInfo) uint8 {
	for _, e := range info.RTPHeaderExtensions {
		if e.URI == sdp.TransportCCURI {
			return uint8(e.ID)
		}
	}
	return 0
}

func cloneWriters(m map[uint32]interceptor.RTPWriter) map[uint32]interceptor.RTPWriter {
	out := make(map[uint32]interceptor.RTPWriter, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// WriteRTCP feeds the subscriber's feedback to the estimator. Errors are not
// returned: they would end the RTCP reader that also carries NACKs and PLIs.
func (b *downlinkBWE) WriteRTCP(pkts []rtcp.Packet, a interceptor.Attributes) error {
	b.loss.add(pkts)
	_ = b.cur.Load().gcc.WriteRTCP(pkts, a)
	return nil
}

// GetTargetBitrate is the current estimate in bit/s.
func (b *downlinkBWE) GetTargetBitrate() int { return b.cur.Load().gcc.GetTargetBitrate() }

// delayEstimate is the delay-based part of the estimate in bit/s: what the link
// carries before its queue grows. Random loss does not pull it down, so it is
// what a sender is capped to. Before any feedback it is the whole estimate.
func (b *downlinkBWE) delayEstimate() int {
	estimate, _ := b.delayState()
	return estimate
}

// delayState is delayEstimate, and whether the delay-based estimator last saw
// the link's queue grow or is still bringing its estimate down for it; from
// one read of the estimator's figures.
func (b *downlinkBWE) delayState() (estimate int, overuse bool) {
	st := b.GetStats()
	usage, _ := st["usage"].(string)
	state, _ := st["state"].(string)
	estimate, _ = st["delayTargetBitrate"].(int)
	if estimate <= 0 {
		estimate = b.GetTargetBitrate()
	}
	return estimate, usage == "overuse" || state == "decrease"
}

// OnTargetBitrateChange is not used: the room polls the estimate.
func (b *downlinkBWE) OnTargetBitrateChange(func(int)) {}

// GetStats returns the estimator's internal figures.
func (b *downlinkBWE) GetStats() map[string]any { return b.cur.Load().gcc.GetStats() }

// reset starts a fresh estimate from initial bit/s.
func (b *downlinkBWE) reset(initial int) error {
	g, err := b.newGCC(initial)
	if err != nil {
		return err
	}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return g.Close()
	}
	next := &bweState{gcc: g, writers: make(map[uint32]interceptor.RTPWriter, len(b.streams))}
	for _, s := range b.streams {
		next.writers[s.info.SSRC] = g.AddStream(s.info, s.writer)
	}
	old := b.cur.Swap(next)
	b.mu.Unlock()
	return old.gcc.Close()
}

// Close stops the current estimator.
func (b *downlinkBWE) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	return b.cur.Load().gcc.Close()
}
