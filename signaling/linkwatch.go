package signaling

import (
	"context"
	"time"

	"cloudwindow/calls"
	"cloudwindow/media"
	"cloudwindow/stationlink"
)

// How often the agent is told the station's link, and how many of those
// figures go by between two samples kept for the review.
const (
	linkTick          = 2 * time.Second
	linkSampleEvery   = 5 // ticks: a sample each 10 s
	linkLossSmoothing = 0.3
)

// callLinkData is a call.link message: the station's link now.
type callLinkData struct {
	CallID      string  `json:"call_id"`
	Party       string  `json:"party"`
	RTTMs       int     `json:"rtt_ms"`
	LossPct     float64 `json:"loss_pct"`
	BitrateKbps int     `json:"bitrate_kbps"`
	Quality     string  `json:"quality"`
}

// linkWatch follows the station's link in one call from the SFU's figures:
// the RTCP round trip and loss its receiver reports, and its downlink
// estimate (or, with adaptation off, the bitrate it sends).
type linkWatch struct {
	s     *Server
	c     *call
	loss  float64 // smoothed, percent
	bytes uint64  // the station's published bytes at the last tick
	ticks int
}

// watchLink tells the agent the station's link every linkTick until the
// call's room closes, and keeps a sample every linkSampleEvery ticks.
func (s *Server) watchLink(c *call) {
	w := &linkWatch{s: s, c: c}
	go w.run()
}

func (w *linkWatch) run() {
	t := time.NewTicker(linkTick)
	defer t.Stop()
	for {
		select {
		case <-w.c.room.Done():
			return
		case now := <-t.C:
			w.tick(now)
		}
	}
}

func (w *linkWatch) tick(now time.Time) {
	st, ok := w.stationStats()
	if !ok {
		return
	}
	d := w.figures(st)
	if d.RTTMs == 0 && d.BitrateKbps == 0 {
		return // no media yet
	}
	if agent := w.c.handler(); agent != nil {
		agent.push(TypeCallLink, d)
	}
	if w.ticks%linkSampleEvery == 0 {
		w.keep(now, d)
	}
	w.ticks++
}

func (w *linkWatch) stationStats() (media.PeerStats, bool) {
	for _, p := range w.c.room.Stats().Peers {
		if p.Party == string(partyStation) {
			return p, true
		}
	}
	return media.PeerStats{}, false
}

func (w *linkWatch) figures(st media.PeerStats) callLinkData {
	loss := 100 * st.FractionLost
	w.loss += linkLossSmoothing * (loss - w.loss)
	kbps := int(st.DownlinkEstimate / 1000)
	sent := st.BytesPublished - min(w.bytes, st.BytesPublished)
	w.bytes = st.BytesPublished
	graded := kbps
	if kbps == 0 { // adaptation off: what the station sends, which says nothing of what it could
		kbps = int(sent * 8 / uint64(linkTick/time.Millisecond))
	}
	rtt := int(st.RTT / time.Millisecond)
	lossPct := float64(int(w.loss*10+0.5)) / 10
	return callLinkData{
		CallID: w.c.id, Party: string(partyStation), RTTMs: rtt, LossPct: lossPct, BitrateKbps: kbps,
		Quality: stationlink.Grade(rtt, lossPct, graded),
	}
}

// keep stores a sample for the review; a failed write costs that sample only.
func (w *linkWatch) keep(now time.Time, d callLinkData) {
	if w.s.deps.Calls == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	l := calls.LinkSample{At: now, Party: d.Party, RTTMs: d.RTTMs, LossPct: d.LossPct, BitrateKbps: d.BitrateKbps, Quality: d.Quality}
	if err := w.s.deps.Calls.AddLinkSample(ctx, w.c.id, l); err != nil {
		w.s.log.Warn("keep link sample", "call", w.c.id, "err", err)
	}
}
