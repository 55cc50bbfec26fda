package media

import (
	"fmt"
	"time"

	"github.com/pion/webrtc/v4"
)

const (
	// answerSettle delays a server offer after an answer to a client offer. The
	// answer goes out when HandleOffer returns; an offer overtaking it would reach a
	// client still in have-local-offer, which ignores it as a collision.
	answerSettle = 200 * time.Millisecond
	// gatherWait bounds how long an answer waits for ICE candidates to put inside it.
	// Host candidates on the shared muxes take milliseconds.
	gatherWait = 2 * time.Second
)

// HandleOffer applies a client offer and returns the answer SDP. sources maps the
// client's msid track id (MediaStreamTrack.id in browsers) to its Source; unknown ids
// default to audio for audio, camera for the first video and document for a second.
//
// A server offer still waiting for its answer is dropped (the server is the polite
// side) and a new one follows the answer.
func (p *Peer) HandleOffer(sdp string, sources map[string]Source) (answer string, err error) {
	err = p.AnswerOffer(sdp, sources, func(a string) { answer = a })
	return answer, err
}

// AnswerOffer is HandleOffer for a caller that sends the answer itself: send runs
// before any later server offer can be made, so the client always gets the answer
// first. send must not block.
func (p *Peer) AnswerOffer(sdp string, sources map[string]Source, send func(answer string)) error {
	if err := checkSDP(sdp, -1); err != nil {
		return fmt.Errorf("peer %s: invalid offer: %w", p.id, err)
	}
	if len(sources) > maxSources {
		return fmt.Errorf("peer %s: %d track sources, at most %d", p.id, len(sources), maxSources)
	}
	p.negMu.Lock()
	defer p.negMu.Unlock()
	if p.isClosed() {
		return fmt.Errorf("peer %s: handle offer: %w", p.id, errPeerClosed)
	}
	if st := p.pc.SignalingState(); st != webrtc.SignalingStateStable {
		return fmt.Errorf("peer %s: offer in signaling state %s; answer the server offer first", p.id, st)
	}
	if p.pendingOffer != "" {
		p.log.Debug("offer collision: client offer supersedes the pending server offer")
		p.pendingOffer = ""
		p.needsOffer = true
	}
	p.setSources(sources)
	answer, err := p.answer(sdp)
	if err == nil {
		send(answer)
	}
	if p.needsOffer {
		p.settleUntil = time.Now().Add(answerSettle)
		p.trigger()
	}
	return err
}

const maxSources = 16

func (p *Peer) setSources(sources map[string]Source) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for id, s := range sources {
		p.sources[id] = s
	}
}

// answer applies the offer and returns the answer with every candidate gathered so
// far, so that no trickled candidate can overtake it.
func (p *Peer) answer(offer string) (string, error) {
	p.inlineCandidates.Store(true)
	defer p.inlineCandidates.Store(false)
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", fmt.Errorf("peer %s: apply offer: %w", p.id, err)
	}
	p.addEarlyCandidates()
	answerCodecs(p.pc)
	answer, err := p.pc.CreateAnswer(nil)
	if err != nil {
		return "", fmt.Errorf("peer %s: create answer: %w", p.id, err)
	}
	gathered := webrtc.GatheringCompletePromise(p.pc)
	if err := p.pc.SetLocalDescription(answer); err != nil {
		return "", fmt.Errorf("peer %s: set answer: %w", p.id, err)
	}
	timer := time.NewTimer(gatherWait)
	defer timer.Stop()
	select {
	case <-gathered:
	case <-timer.C:
		p.log.Warn("answer sent before ICE gathering completed")
	case <-p.done:
	}
	// Candidates found from here on are trickled; a duplicate is harmless, a loss is not.
	p.inlineCandidates.Store(false)
	return p.pc.LocalDescription().SDP, nil
}

// HandleAnswer applies the client's answer to the pending server offer.
func (p *Peer) HandleAnswer(sdp string) error {
	p.negMu.Lock()
	defer p.negMu.Unlock()
	if p.isClosed() {
		return fmt.Errorf("peer %s: handle answer: %w", p.id, errPeerClosed)
	}
	if p.pendingOffer == "" {
		return fmt.Errorf("peer %s: answer without a pending server offer", p.id)
	}
	if err := checkSDP(sdp, countMedia(p.pendingOffer)); err != nil {
		return fmt.Errorf("peer %s: invalid answer: %w", p.id, err)
	}
	if p.pc.SignalingState() == webrtc.SignalingStateStable {
		offer := webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: p.pendingOffer}
		if err := p.pc.SetLocalDescription(offer); err != nil {
			p.pendingOffer = ""
			p.needsOffer = true
			p.trigger()
			return fmt.Errorf("peer %s: commit server offer: %w", p.id, err)
		}
	}
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdp}); err != nil {
		// The offer stays committed: a corrected answer can still complete it.
		return fmt.Errorf("peer %s: apply answer: %w", p.id, err)
	}
	p.addEarlyCandidates()
	p.pendingOffer = ""
	if p.needsOffer {
		p.trigger()
	}
	return nil
}

// ResendOffer sends the pending server offer again, if there is one. The signaling
// layer calls it after the client's connection was re-established, since an offer
// sent while it was down is lost and would otherwise block every later offer.
func (p *Peer) ResendOffer() {
	p.negMu.Lock()
	defer p.negMu.Unlock()
	if p.pendingOffer != "" && !p.isClosed() {
		p.sig.SendOffer(p.pendingOffer)
	}
}

func (p *Peer) trigger() {
	select {
	case p.negotiate <- struct{}{}:
	default:
	}
}

// negotiationLoop sends server offers, one at a time, whenever the peer's
// downTracks changed.
func (p *Peer) negotiationLoop() {
	defer p.wg.Done()
	for {
		select {
		case <-p.done:
			return
		case <-p.negotiate:
		}
		if !p.waitSettled() {
			return
		}
		p.offerIfNeeded()
	}
}

func (p *Peer) waitSettled() bool {
	for {
		p.negMu.Lock()
		wait := time.Until(p.settleUntil)
		p.negMu.Unlock()
		if wait <= 0 {
			return true
		}
		timer := time.NewTimer(wait)
		select {
		case <-p.done:
			timer.Stop()
			return false
		case <-timer.C:
		}
	}
}

// offerIfNeeded sends a server offer unless one is outstanding or the client is in
// the middle of its own negotiation; HandleAnswer and HandleOffer wake the loop again.
// The offer is not committed with SetLocalDescription until its answer arrives,
// because pion cannot roll a local offer back when a client offer crosses it.
func (p *Peer) offerIfNeeded() {
	p.negMu.Lock()
	defer p.negMu.Unlock()
	if !p.needsOffer || p.pendingOffer != "" || p.isClosed() {
		return
	}
	if p.pc.SignalingState() != webrtc.SignalingStateStable {
		return
	}
	offer, err := p.pc.CreateOffer(nil)
	if err != nil {
		p.log.Warn("create offer", "err", err)
		return
	}
	p.needsOffer = false
	p.pendingOffer = offer.SDP
	// Sent under negMu so that the offer is queued before any answer a concurrent
	// HandleOffer returns; the Signaler only queues.
	p.sig.SendOffer(offer.SDP)
}
