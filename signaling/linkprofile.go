package signaling

import (
	"context"
	"fmt"
	"time"

	"cloudwindow/queue"
	"cloudwindow/stationlink"
)

// Messages of the station link profile (see docs/protocol.md).
const (
	// station → server: the kiosk's pre-call network check.
	TypeStationLinkCheck = "station.link_check"
	// server → agent: the station's link during the call, from the SFU's figures.
	TypeCallLink = "call.link"
)

// StationLinks keeps station link profiles and the kiosks' checks
// (stationlink.Store).
type StationLinks interface {
	Get(ctx context.Context, stationID string) (stationlink.Link, error)
	SaveCheck(ctx context.Context, stationID string, c stationlink.Check) error
}

// linkSettings is what a station's kiosk is told at welcome of how to start
// its encoders; nil for other roles or when no store is set.
func (s *Server) linkSettings(ctx context.Context, stationID string) *stationlink.Settings {
	if s.deps.Links == nil {
		return nil
	}
	l, err := s.deps.Links.Get(ctx, stationID)
	if err != nil {
		// The kiosk then probes from high, as before profiles existed.
		s.log.Warn("station link profile", "station", stationID, "err", err)
		return nil
	}
	st := stationlink.SettingsFor(l.Profile)
	return &st
}

type linkCheckData struct {
	RTTMs    int     `json:"rtt_ms"`
	LossPct  float64 `json:"loss_pct"`
	DownKbps int     `json:"down_kbps"`
	UpKbps   int     `json:"up_kbps"`
}

func (d *linkCheckData) check() error {
	if err := d.asCheck(time.Time{}).Validate(); err != nil {
		return protoErr(CodeBadMessage, "%v", err)
	}
	return nil
}

func (d *linkCheckData) asCheck(at time.Time) stationlink.Check {
	return stationlink.Check{At: at, RTTMs: d.RTTMs, LossPct: d.LossPct, DownKbps: d.DownKbps, UpKbps: d.UpKbps}
}

type linkCheckReply struct {
	Quality string `json:"quality"`
	// LinkProfile is how the kiosk starts its encoders for the call it is
	// about to ask for when the check found the link poor: low, as a station
	// marked low-bandwidth does, instead of probing down from high.
	LinkProfile *stationlink.Settings `json:"link_profile,omitempty"`
}

// handleLinkCheck keeps a kiosk's pre-call check as its station's last
// measured link, which the agent sees on the offer.
func (s *Server) handleLinkCheck(ctx context.Context, sess *session, m Message) error {
	var d linkCheckData
	if err := decodeData(m.Data, &d); err != nil {
		return err
	}
	c := d.asCheck(time.Now())
	if s.deps.Links != nil {
		if err := s.deps.Links.SaveCheck(ctx, sess.ident.AccountID, c); err != nil {
			return fmt.Errorf("save link check of %s: %w", sess.ident.Username, err)
		}
	}
	reply := linkCheckReply{Quality: c.Quality()}
	sess.linkPoor.Store(reply.Quality == stationlink.Poor)
	if reply.Quality == stationlink.Poor {
		low := stationlink.SettingsFor(stationlink.LowBandwidth)
		reply.LinkProfile = &low
		// The kiosk connects while it checks: its standing connection
		// carries no call yet, and starts its estimate over low.
		if st := sess.standingPeer(); st != nil && sess.currentCall() == nil {
			st.peer.ExpectThinDownlink()
		}
	}
	sess.reply(m.ID, TypeOK, reply)
	return nil
}

// offerLink is the station's link as the agent sees it on the offer: the
// signaling round trip when it asked, with the loss and bandwidth of the
// kiosk's last pre-call check and the station's profile.
func (s *Server) offerLink(ctx context.Context, req queue.Request) *linkInfo {
	li := linkOf(req.LinkRTT)
	if s.deps.Links == nil {
		return li
	}
	l, err := s.deps.Links.Get(ctx, req.StationID)
	if err != nil {
		s.log.Warn("station link for offer", "station", req.StationID, "err", err)
		return li
	}
	if li == nil && l.LastCheck == nil {
		return nil // nothing measured yet
	}
	if li == nil {
		li = &linkInfo{}
	}
	li.Profile = l.Profile
	if c := l.LastCheck; c != nil {
		if li.RTTMs == 0 {
			li.RTTMs = c.RTTMs
		}
		li.LossPct, li.DownKbps, li.UpKbps = c.LossPct, c.DownKbps, c.UpKbps
		li.CheckedAt = c.At.UTC().Format(time.RFC3339)
	}
	li.Quality = stationlink.Grade(li.RTTMs, li.LossPct, minKnown(li.DownKbps, li.UpKbps))
	return li
}

// minKnown is the lesser of two bitrates, 0 meaning unknown.
func minKnown(a, b int) int {
	switch {
	case a == 0:
		return b
	case b == 0:
		return a
	}
	return min(a, b)
}
