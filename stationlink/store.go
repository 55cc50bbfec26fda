package stationlink

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"

	"cloudwindow/store"
)

// ErrNotFound means no station has that id.
var ErrNotFound = errors.New("station not found")

// Store reads and writes station links.
type Store struct{ db *store.DB }

// NewStore returns a Store on db.
func NewStore(db *store.DB) *Store { return &Store{db: db} }

// Link is a station's link as admins and agents see it.
type Link struct {
	StationID string `json:"station_id"`
	Profile   string `json:"profile"`
	LastCheck *Check `json:"last_check,omitempty"`
}

// Get returns a station's link; a station nobody marked is standard.
func (s *Store) Get(ctx context.Context, stationID string) (Link, error) {
	if err := s.mustBeStation(ctx, stationID); err != nil {
		return Link{}, err
	}
	l := Link{StationID: stationID, Profile: Standard}
	var c Check
	var at int64
	var permille int
	err := s.db.QueryRow(ctx, `SELECT profile, checked_at, check_rtt_ms, check_loss_permille, check_down_kbps, check_up_kbps
		FROM station_links WHERE station_id = ?`, stationID).Scan(&l.Profile, &at, &c.RTTMs, &permille, &c.DownKbps, &c.UpKbps)
	if errors.Is(err, sql.ErrNoRows) {
		return l, nil
	} else if err != nil {
		return Link{}, fmt.Errorf("read link of station %s: %w", stationID, err)
	}
	if at != 0 {
		c.At, c.LossPct = store.Time(at), float64(permille)/10
		l.LastCheck = &c
	}
	return l, nil
}

// Settings returns what a station's kiosk is told of its profile.
func (s *Store) Settings(ctx context.Context, stationID string) (Settings, error) {
	l, err := s.Get(ctx, stationID)
	if err != nil {
		return Settings{}, err
	}
	return SettingsFor(l.Profile), nil
}

// SetProfile gives a station a profile.
func (s *Store) SetProfile(ctx context.Context, stationID, profile string) error {
	if err := CheckProfile(profile); err != nil {
		return err
	}
	if err := s.mustBeStation(ctx, stationID); err != nil {
		return err
	}
	_, err := s.db.Exec(ctx, `INSERT INTO station_links (station_id, profile) VALUES (?, ?)
		ON CONFLICT (station_id) DO UPDATE SET profile = excluded.profile`, stationID, profile)
	if err != nil {
		return fmt.Errorf("set link profile of station %s: %w", stationID, err)
	}
	return nil
}

// SaveCheck keeps a kiosk's pre-call check as the station's last.
func (s *Store) SaveCheck(ctx context.Context, stationID string, c Check) error {
	if err := c.Validate(); err != nil {
		return err
	}
	_, err := s.db.Exec(ctx, `INSERT INTO station_links (station_id, profile, checked_at, check_rtt_ms,
			check_loss_permille, check_down_kbps, check_up_kbps) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (station_id) DO UPDATE SET checked_at = excluded.checked_at, check_rtt_ms = excluded.check_rtt_ms,
			check_loss_permille = excluded.check_loss_permille, check_down_kbps = excluded.check_down_kbps,
			check_up_kbps = excluded.check_up_kbps`,
		stationID, Standard, store.Millis(c.At), c.RTTMs, int(math.Round(c.LossPct*10)), c.DownKbps, c.UpKbps)
	if err != nil {
		return fmt.Errorf("save link check of station %s: %w", stationID, err)
	}
	return nil
}

// SeedDemo marks the demo island station island1 as low bandwidth, unless an
// admin already gave it a profile.
func (s *Store) SeedDemo(ctx context.Context) error {
	_, err := s.db.Exec(ctx, `INSERT INTO station_links (station_id, profile)
		SELECT id, ? FROM accounts WHERE username = 'island1' AND role = 'station'
		ON CONFLICT (station_id) DO NOTHING`, LowBandwidth)
	if err != nil {
		return fmt.Errorf("mark demo island station: %w", err)
	}
	return nil
}

func (s *Store) mustBeStation(ctx context.Context, stationID string) error {
	var n int
	err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM accounts WHERE id = ? AND role = 'station'`, stationID).Scan(&n)
	if err != nil {
		return fmt.Errorf("look up station %s: %w", stationID, err)
	}
	if n == 0 {
		return fmt.Errorf("station %s: %w", stationID, ErrNotFound)
	}
	return nil
}
