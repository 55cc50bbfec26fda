package calls

import (
	"context"
	"fmt"

	"time"

	"cloudwindow/store"
)

// LinkSample is a party's link at one moment of a call, from the media
// server's own figures: the RTCP round trip, the loss its receiver reports
// and the bandwidth estimate, with their plain good / fair / poor grade.
type LinkSample struct {
	At          time.Time `json:"at"`
	Party       string    `json:"party"` // "station"
	RTTMs       int       `json:"rtt_ms"`
	LossPct     float64   `json:"loss_pct"`
	BitrateKbps int       `json:"bitrate_kbps"`
	Quality     string    `json:"quality"` // good | fair | poor
}

// AddLinkSample keeps a link sample of a call for its review.
func (s *Store) AddLinkSample(ctx context.Context, callID string, l LinkSample) error {
	_, err := s.db.Exec(ctx, `INSERT INTO call_link_samples (call_id, at, party, rtt_ms, loss_permille, bitrate_kbps, quality)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		callID, store.Millis(l.At), l.Party, l.RTTMs, int(l.LossPct*10+0.5), l.BitrateKbps, l.Quality)
	if err != nil {
		return fmt.Errorf("add link sample to call %s: %w", callID, err)
	}
	return nil
}

// LinkSamples returns a call's link samples in order.
func (s *Store) LinkSamples(ctx context.Context, callID string) ([]LinkSample, error) {
	rows, err := s.db.Query(ctx, `SELECT at, party, rtt_ms, loss_permille, bitrate_kbps, quality
		FROM call_link_samples WHERE call_id = ? ORDER BY at`, callID)
	if err != nil {
		return nil, fmt.Errorf("list link samples of call %s: %w", callID, err)
	}
	defer rows.Close()
	out := []LinkSample{}
	for rows.Next() {
		var l LinkSample
		var at int64
		var permille int
		if err := rows.Scan(&at, &l.Party, &l.RTTMs, &permille, &l.BitrateKbps, &l.Quality); err != nil {
			return nil, fmt.Errorf("scan link sample of call %s: %w", callID, err)
		}
		l.At, l.LossPct = store.Time(at), float64(permille)/10
		out = append(out, l)
	}
	return out, rows.Err()
}
