// Package stationhealth keeps what the kiosks report about themselves
// (heartbeats with their devices' state and app version) so that the
// center's supervisors see which stations are online, which have been
// offline since when, and which miss a device.
package stationhealth

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"time"

	"cloudwindow/store"
)

// Devices a kiosk reports on, and the states each may be in.
var (
	DeviceNames  = []string{"camera", "document_camera", "microphone", "printer"}
	DeviceStates = []string{"ok", "missing", "none", "unknown"} // none: not set up at this kiosk
)

// MaxVersionLen bounds the reported app version.
const MaxVersionLen = 40

// DefaultStale is how long without a heartbeat a station still counts as
// online: kiosks beat every 30 s, so three missed beats (a node that died
// without marking its stations offline) make it offline.
const DefaultStale = 90 * time.Second

// Report is one heartbeat.
type Report struct {
	Version string            `json:"version"`
	Devices map[string]string `json:"devices"`
}

// Check refuses unknown devices and states and an overlong version.
func (r Report) Check() error {
	if len(r.Version) > MaxVersionLen {
		return fmt.Errorf("version is longer than %d bytes", MaxVersionLen)
	}
	for name, state := range r.Devices {
		if !slices.Contains(DeviceNames, name) {
			return fmt.Errorf("unknown device %q", name)
		}
		if !slices.Contains(DeviceStates, state) {
			return fmt.Errorf("device %s: unknown state %q", name, state)
		}
	}
	return nil
}

// Station is one station as supervisors see it. LastSeen is zero for a
// station that never reported; OfflineSince is zero while it is online.
type Station struct {
	ID           string            `json:"id"`
	Username     string            `json:"username"`
	Name         string            `json:"name"`
	Region       string            `json:"region"`
	Island       bool              `json:"island"`
	Online       bool              `json:"online"`
	LastSeen     *time.Time        `json:"last_seen,omitempty"`
	OfflineSince *time.Time        `json:"offline_since,omitempty"`
	Version      string            `json:"version,omitempty"`
	Devices      map[string]string `json:"devices"`
	Missing      []string          `json:"missing"` // devices reported missing
}

// Store keeps heartbeats in the station_health table.
type Store struct {
	db    *store.DB
	stale time.Duration
}

// NewStore returns a Store; stale 0 means DefaultStale.
func NewStore(db *store.DB, stale time.Duration) *Store {
	if stale <= 0 {
		stale = DefaultStale
	}
	return &Store{db: db, stale: stale}
}

// Beat records a heartbeat of station at now: it is online with r's devices.
func (s *Store) Beat(ctx context.Context, station string, r Report, now time.Time) error {
	devices, err := json.Marshal(r.Devices)
	if err != nil {
		return fmt.Errorf("encode devices of %s: %w", station, err)
	}
	_, err = s.db.Exec(ctx, `INSERT INTO station_health (station_id, online, last_seen, offline_since, version, devices)
		VALUES (?, TRUE, ?, 0, ?, ?)
		ON CONFLICT (station_id) DO UPDATE SET online = TRUE, last_seen = excluded.last_seen,
			offline_since = 0, version = excluded.version, devices = excluded.devices`,
		station, store.Millis(now), r.Version, string(devices))
	if err != nil {
		return fmt.Errorf("record heartbeat of %s: %w", station, err)
	}
	return nil
}

// Gone records that station's connection closed at now.
func (s *Store) Gone(ctx context.Context, station string, now time.Time) error {
	_, err := s.db.Exec(ctx, `UPDATE station_health SET online = FALSE, offline_since = ?
		WHERE station_id = ? AND online`, store.Millis(now), station)
	if err != nil {
		return fmt.Errorf("record %s offline: %w", station, err)
	}
	return nil
}

// List returns every enabled station with its health at now, offline ones
// first, then by name.
func (s *Store) List(ctx context.Context, now time.Time) ([]Station, error) {
	rows, err := s.db.Query(ctx, `SELECT a.id, a.username, st.name, st.region, st.island,
			COALESCE(h.online, FALSE), COALESCE(h.last_seen, 0), COALESCE(h.offline_since, 0),
			COALESCE(h.version, ''), COALESCE(h.devices, '{}')
		FROM accounts a JOIN stations st ON st.account_id = a.id
		LEFT JOIN station_health h ON h.station_id = a.id
		WHERE a.role = 'station' AND NOT a.disabled`)
	if err != nil {
		return nil, fmt.Errorf("list station health: %w", err)
	}
	defer rows.Close()
	var out []Station
	for rows.Next() {
		st, err := s.scan(rows, now)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list station health: %w", err)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Online != out[j].Online {
			return !out[i].Online
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

func (s *Store) scan(rows interface{ Scan(...any) error }, now time.Time) (Station, error) {
	var st Station
	var lastSeen, offlineSince int64
	var devices string
	if err := rows.Scan(&st.ID, &st.Username, &st.Name, &st.Region, &st.Island,
		&st.Online, &lastSeen, &offlineSince, &st.Version, &devices); err != nil {
		return Station{}, fmt.Errorf("read station health: %w", err)
	}
	if err := json.Unmarshal([]byte(devices), &st.Devices); err != nil || st.Devices == nil {
		st.Devices = map[string]string{}
	}
	st.Missing = []string{}
	for _, name := range DeviceNames {
		if st.Devices[name] == "missing" {
			st.Missing = append(st.Missing, name)
		}
	}
	if lastSeen == 0 {
		st.Online = false
		return st, nil
	}
	seen := store.Time(lastSeen)
	st.LastSeen = &seen
	// A station whose node died without saying so goes quiet: offline since
	// its last heartbeat.
	if st.Online && now.Sub(seen) > s.stale {
		st.Online, offlineSince = false, lastSeen
	}
	if !st.Online {
		since := store.Time(offlineSince)
		st.OfflineSince = &since
	}
	return st, nil
}
