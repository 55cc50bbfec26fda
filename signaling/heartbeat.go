package signaling

import (
	"context"
	"fmt"
	"time"

	"cloudwindow/stationhealth"
)

// StationHealth keeps the kiosks' heartbeats (the stationhealth store).
type StationHealth interface {
	Beat(ctx context.Context, station string, r stationhealth.Report, now time.Time) error
	Gone(ctx context.Context, station string, now time.Time) error
}

type heartbeatData stationhealth.Report

func (d *heartbeatData) check() error {
	if err := stationhealth.Report(*d).Check(); err != nil {
		return protoErr(CodeBadMessage, "%v", err)
	}
	return nil
}

// handleHeartbeat keeps a station's report of its devices and version, so
// that supervisors see it online and what it misses.
func (s *Server) handleHeartbeat(ctx context.Context, sess *session, m Message) error {
	var d heartbeatData
	if err := decodeData(m.Data, &d); err != nil {
		return err
	}
	if s.deps.Health != nil {
		if err := s.deps.Health.Beat(ctx, sess.ident.AccountID, stationhealth.Report(d), time.Now()); err != nil {
			return fmt.Errorf("heartbeat of %s: %w", sess.ident.Username, err)
		}
	}
	sess.reply(m.ID, TypeOK, empty{})
	return nil
}

// stationGone marks a station offline once its socket has closed and no
// other took its place; it may still come back within the resume grace.
func (s *Server) stationGone(sess *session) {
	if s.deps.Health == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.deps.Health.Gone(ctx, sess.ident.AccountID, time.Now()); err != nil {
		s.log.Warn("station offline", "station", sess.ident.Username, "err", err)
	}
}
