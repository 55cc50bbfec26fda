package media

import (
	"math"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

const (
	// audioAllowance is kept out of a publisher's video cap for the audio that
	// shares the subscriber's link: Opus with FEC, doubled by RED where it is
	// negotiated, and 50 packets a second of headers.
	audioAllowance = 80_000
	// minVideoCap is the least video cap told to a publisher: it still feeds the
	// local recorder while the far end receives audio only.
	minVideoCap = 60_000
	// videoCapFloor is the least a receiver's video takes of its link while
	// video flows to it, FEC included: it carries 320×180 at a usable frame
	// rate. Below it video pauses instead (see videoGate), which needs loss as
	// well as a low estimate.
	videoCapFloor = 140_000
	// resendHeadroom is the share of a receiver's delay-based estimate a cap
	// gives to forwarded video and audio: the rest carries the resends of a lossy
	// link (the send budget refills at the estimate), which a cap at the whole
	// estimate would leave no room for, and lost packets would freeze video.
	resendHeadroom = 0.9
	// capChange is the relative change of a cap worth a signaling message.
	capChange = 0.15
	// speechRate is the voice towards a station known to be on a thin link:
	// Opus's own ~32 kbit/s, sent three times over by the node's redundancy,
	// left a 256 kbit/s link too little for video at its floor, and its
	// queue dropped packets in bursts that froze the picture.
	speechRate = 20_000
)

// adaptLoop runs downlink adaptation for the room until it closes.
func (r *Room) adaptLoop(cfg AdaptConfig) {
	defer r.wg.Done()
	t := time.NewTicker(cfg.Tick)
	defer t.Stop()
	for {
		select {
		case <-r.done:
			return
		case now := <-t.C:
			r.adaptOnce(now)
		}
	}
}

// adaptOnce gates each subscriber's video on its own estimate, then caps each
// publisher at what its receivers can take.
func (r *Room) adaptOnce(now time.Time) {
	r.mu.Lock()
	peers := make([]*Peer, 0, len(r.peers))
	for _, p := range r.peers {
		peers = append(peers, p)
	}
	r.mu.Unlock()
	for _, p := range peers {
		p.adaptVideo(now)
	}
	for _, p := range peers {
		p.capPublisher(now, peers)
	}
}

// adaptVideo applies the video gate's decision for this peer as a subscriber.
func (p *Peer) adaptVideo(now time.Time) {
	if p.bwe == nil || p.isClosed() {
		return
	}
	est := p.bwe.GetTargetBitrate()
	p.counters.downlinkEstimate.Store(int64(est))
	loss, known := p.gate.win.next(&p.bwe.loss)
	p.redFloor.observe(&p.bwe.loss)
	p.linkLoss.observe(loss, known)
	delay, overuse := p.bwe.delayState()
	p.counters.delayEstimate.Store(int64(delay))
	p.probe.observe(now, p.counters.bytesForwarded.Load(), loss, known, delay, overuse)
	if was := p.thinWatch.thin; p.thinWatch.observe(now, delay, p.videoPaused.Load(), &p.bwe.loss) != was {
		p.log.Info("downlink found thin in the call, or good again", "thin", !was, "delay_estimate_bps", delay)
	}
	switch p.gate.step(now, gateInput{estimate: est, loss: loss, lossKnown: known}) {
	case gatePause:
		p.setVideoPaused(true)
		p.log.Info("video paused: downlink too weak, audio goes on", "estimate_bps", est, "loss", loss)
		p.notifyLink(func(n LinkNotifier) { n.VideoPaused(true) })
	case gateProbe:
		if err := p.bwe.reset(p.gate.cfg.ProbeStart); err != nil {
			p.log.Warn("restart downlink estimate", "err", err)
		}
		p.setVideoPaused(false)
		p.requestVideoKeyframes()
	case gateProbeFails:
		p.setVideoPaused(true)
	case gateResume:
		p.log.Info("video resumed", "estimate_bps", est)
		p.requestVideoKeyframes()
		p.notifyLink(func(n LinkNotifier) { n.VideoPaused(false) })
	}
}

// ExpectThinDownlink starts this peer's downlink estimate over from
// thinLinkStart, for a station known to be on a thin link (marked
// low-bandwidth, or its pre-call check found it poor) before its call's
// media flows. From the default start the far end's camera was allowed
// ~900 kbit/s for the seconds the estimate took to fall, which a 256 kbit/s
// link's queue dropped.
func (p *Peer) ExpectThinDownlink() {
	p.thinDownlink.Store(true)
	if p.bwe == nil {
		return
	}
	if err := p.bwe.reset(thinLinkStart); err != nil {
		p.log.Warn("start downlink estimate low", "err", err)
	}
}

func (p *Peer) setVideoPaused(paused bool) {
	p.videoPaused.Store(paused)
	p.counters.videoPaused.Store(paused)
}

// requestVideoKeyframes asks the publishers of the video this peer receives for a
// keyframe, so that its decoders start again at once.
func (p *Peer) requestVideoKeyframes() {
	p.mu.Lock()
	downs := append([]*downTrack(nil), p.downs...)
	p.mu.Unlock()
	for _, d := range downs {
		d.requestKeyframe(false)
	}
}

func (p *Peer) notifyLink(f func(LinkNotifier)) {
	if n, ok := p.sig.(LinkNotifier); ok {
		f(n)
	}
}

// capPublisher tells this peer, as a publisher, the most video its receivers can
// take: by REMB to its browser (with its audio, see publisherCap.total) and, on
// a marked change, by signaling, with its voice at speechRate while one of them
// is known, or found (thinWatch), to be on a thin link.
// A receiver that gets video takes its videoShare, or a step over what it is
// sent while its link is probed (linkProbe). One whose video is paused takes
// minVideoCap.
// Monitors do not count (a supervisor's link must not starve the call), nor does
// the recorder, which is local.
func (p *Peer) capPublisher(now time.Time, peers []*Peer) {
	ssrcs := p.videoSSRCs()
	if len(ssrcs) == 0 || p.isClosed() {
		return
	}
	limit, voice, paused := 0, 0, false
	for _, s := range peers {
		if s.bwe == nil || s.party == p.party || s.party == PartyMonitor {
			continue
		}
		if s.thinDownlink.Load() || s.thinWatch.thin {
			voice = speechRate
		}
		est := max(videoShare(s.bwe.delayEstimate(), s.redundancyRate(), s.fecOverhead()), s.probe.minCap())
		if s.gate.videoOff() {
			est, paused = minVideoCap, true
		}
		if limit == 0 || est < limit {
			limit = est
		}
	}
	if limit == 0 {
		return
	}
	sent := published{video: p.counters.videoBytesPublished.Load(), audioWire: p.counters.audioWireBytesPublished.Load()}
	limit = p.cap.next(now, limit, paused, sent)
	remb := &rtcp.ReceiverEstimatedMaximumBitrate{Bitrate: float32(p.cap.total()), SSRCs: ssrcs}
	if err := p.pc.WriteRTCP([]rtcp.Packet{remb}); err != nil {
		p.log.Debug("send remb", "err", err)
	} else {
		p.counters.sendLimit.Store(int64(remb.Bitrate))
	}
	last := p.capSent
	if last.Video == 0 || voice != last.Voice || math.Abs(float64(limit-last.Video)) > capChange*float64(last.Video) {
		l := SendLimit{Video: limit, Voice: voice}
		p.capSent = l
		p.notifyLink(func(n LinkNotifier) { n.BitrateLimit(l) })
	}
}

// videoShare is the video cap one receiver's link takes: its delay-based
// estimate (random loss does not lower it) less room for resends, audio and
// its redundancy, and less the share fec that FEC adds to its video. The floor
// holds for video and its FEC together: a floor on the video alone, with FEC
// and audio beside it, filled a 256 kbit/s link's queue until it dropped
// packets in bursts that neither FEC nor resends could mend in time.
func videoShare(delayEstimate, redundancy int, fec float64) int {
	video := resendHeadroom*float64(delayEstimate) - audioAllowance - float64(redundancy)
	return int(max(video, videoCapFloor) / (1 + fec))
}

// videoSSRCs lists the SSRCs of the video this peer publishes.
func (p *Peer) videoSSRCs() []uint32 {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []uint32
	for _, up := range p.published {
		if up.info.Kind == webrtc.RTPCodecTypeVideo {
			out = append(out, up.info.SSRC)
		}
	}
	return out
}
