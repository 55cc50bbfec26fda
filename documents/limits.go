package documents

import (
	"context"
	"fmt"
	"time"

	"cloudwindow/calls"
	"cloudwindow/store"
)

// Defaults of the upload limits; a station can't fill the disk with them,
// and a busy day of scans stays well under.
const (
	DefaultUploadGrace           = 2 * time.Minute
	DefaultMaxFilesPerCall       = 40
	DefaultMaxBytesPerCall       = 200 << 20
	DefaultMaxBytesPerStationDay = 400 << 20
)

// Space keeps the disk reserve (a *diskspace.Guard): Allow fails when
// writing n bytes more would eat into it.
type Space interface {
	Allow(n int64) error
}

// Limits bound what a station may upload; zero fields take the defaults.
type Limits struct {
	// Grace is how long after a call ends its station may still upload:
	// a scan taken just before hang-up still arrives over a slow link.
	Grace                 time.Duration
	MaxFilesPerCall       int
	MaxBytesPerCall       int64
	MaxBytesPerStationDay int64 // over the last 24 hours
}

// DefaultLimits are the limits a Service takes for zero fields.
func DefaultLimits() Limits {
	var l Limits
	l.setDefaults()
	return l
}

func (l *Limits) setDefaults() {
	if l.Grace <= 0 {
		l.Grace = DefaultUploadGrace
	}
	if l.MaxFilesPerCall <= 0 {
		l.MaxFilesPerCall = DefaultMaxFilesPerCall
	}
	if l.MaxBytesPerCall <= 0 {
		l.MaxBytesPerCall = DefaultMaxBytesPerCall
	}
	if l.MaxBytesPerStationDay <= 0 {
		l.MaxBytesPerStationDay = DefaultMaxBytesPerStationDay
	}
}

// checkOpen refuses uploads to a call that ended more than Grace ago.
func (s *Service) checkOpen(c calls.Call) error {
	if c.EndedAt.IsZero() || s.now().Before(c.EndedAt.Add(s.cfg.Limits.Grace)) {
		return nil
	}
	return fmt.Errorf("call %s ended at %s: %w", c.ID, c.EndedAt.Format(time.RFC3339), ErrCallEnded)
}

// checkQuota refuses a new upload of size bytes that would take the call
// or the station over its limits. Every upload counts, failed ones too:
// a station could otherwise send failing files for ever.
func (s *Service) checkQuota(ctx context.Context, c calls.Call, stationID string, size int64) error {
	var files int
	var callBytes, dayBytes int64
	err := s.db.QueryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(size), 0) FROM uploads WHERE call_id = ?`, c.ID).Scan(&files, &callBytes)
	if err == nil {
		err = s.db.QueryRow(ctx, `SELECT COALESCE(SUM(size), 0) FROM uploads WHERE station_id = ? AND created_at >= ?`,
			stationID, store.Millis(s.now().Add(-24*time.Hour))).Scan(&dayBytes)
	}
	if err != nil {
		return fmt.Errorf("sum uploads of call %s: %w", c.ID, err)
	}
	lim := s.cfg.Limits
	switch {
	case files >= lim.MaxFilesPerCall:
		return fmt.Errorf("call %s has %d files, the limit: %w", c.ID, files, ErrQuota)
	case callBytes+size > lim.MaxBytesPerCall:
		return fmt.Errorf("call %s would hold %d bytes, over %d: %w", c.ID, callBytes+size, lim.MaxBytesPerCall, ErrQuota)
	case dayBytes+size > lim.MaxBytesPerStationDay:
		return fmt.Errorf("station %s would upload %d bytes in 24 h, over %d: %w", stationID, dayBytes+size, lim.MaxBytesPerStationDay, ErrQuota)
	}
	return nil
}

// checkSpace refuses to write n bytes into the disk reserve.
func (s *Service) checkSpace(n int64) error {
	if s.cfg.Space == nil {
		return nil
	}
	if err := s.cfg.Space.Allow(n); err != nil {
		// The detail (free bytes, the volume) is for operators only.
		s.log.Warn("upload refused: disk reserve", "bytes", n, "err", err)
		return fmt.Errorf("no room for %d more bytes: %w", n, ErrNoSpace)
	}
	return nil
}

// checkUploadOpen refuses chunks of an upload whose call has closed: an
// upload announced during the call can't be finished days later.
func (s *Service) checkUploadOpen(ctx context.Context, u upload) error {
	c, err := s.call(ctx, u.callID)
	if err != nil {
		return err
	}
	return s.checkOpen(c)
}
