// Package documents receives the scans a station's document camera takes
// (or the files it picks) in resumable, checksummed chunks, because island
// links drop: a half-sent scan resumes, never duplicates and never arrives
// corrupted. Only JPEG, PNG and PDF are kept, recognised by content. Scans
// are stored under the data directory with their SHA-256 and served only to
// the call's agent, supervisors and admins, every access audited.
package documents

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"cloudwindow/store"
)

// Status is where a scan stands in the agent's review.
type Status string

// The statuses.
const (
	StatusNew             Status = "new"
	StatusAccepted        Status = "accepted"
	StatusRescanRequested Status = "rescan_requested"
)

// Errors callers can test with errors.Is.
var (
	ErrNotFound    = errors.New("not found")
	ErrInvalid     = errors.New("invalid request")
	ErrForbidden   = errors.New("not allowed")
	ErrConflict    = errors.New("not possible in the current state")
	ErrTooLarge    = errors.New("file too large")
	ErrUnsupported = errors.New("only JPEG, PNG and PDF files are accepted")
	ErrChecksum    = errors.New("checksum mismatch")
	ErrCallEnded   = errors.New("the call has ended; uploads are closed")
	ErrQuota       = errors.New("upload quota exceeded")
	ErrNoSpace     = errors.New("the server is short of disk space; try again later")
)

// Document is a stored scan.
type Document struct {
	ID          string    `json:"id"`
	CallID      string    `json:"call_id"`
	CaseID      string    `json:"case_id,omitempty"`
	StationID   string    `json:"station_id"`
	Filename    string    `json:"filename"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	Status      Status    `json:"status"`
	Material    string    `json:"material,omitempty"` // the case material it was accepted as
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	URL         string    `json:"url"` // where the content is served

	path string // relative to the data directory
}

const documentColumns = `id, call_id, case_id, station_id, filename, content_type, size, sha256, path, status, material, created_at, updated_at`

type scanner interface{ Scan(dest ...any) error }

func scanDocument(row scanner) (Document, error) {
	var d Document
	var status string
	var created, updated int64
	err := row.Scan(&d.ID, &d.CallID, &d.CaseID, &d.StationID, &d.Filename, &d.ContentType, &d.Size, &d.SHA256,
		&d.path, &status, &d.Material, &created, &updated)
	if err != nil {
		return Document{}, err
	}
	d.Status, d.CreatedAt, d.UpdatedAt = Status(status), store.Time(created), store.Time(updated)
	d.URL = "/api/v1/documents/" + d.ID
	return d, nil
}

func insertDocument(ctx context.Context, q store.Querier, d Document) error {
	_, err := q.Exec(ctx, `INSERT INTO documents (`+documentColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.ID, d.CallID, d.CaseID, d.StationID, d.Filename, d.ContentType, d.Size, d.SHA256, d.path, string(d.Status),
		d.Material, store.Millis(d.CreatedAt), store.Millis(d.UpdatedAt))
	if err != nil {
		return fmt.Errorf("insert document %s: %w", d.ID, err)
	}
	return nil
}

// Get returns a document's record; the caller decides who may see it.
func (s *Service) Get(ctx context.Context, id string) (Document, error) {
	d, err := scanDocument(s.db.QueryRow(ctx, `SELECT `+documentColumns+` FROM documents WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Document{}, fmt.Errorf("document %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Document{}, fmt.Errorf("load document %s: %w", id, err)
	}
	return d, nil
}

// ListForCall returns a call's documents, oldest first.
func (s *Service) ListForCall(ctx context.Context, callID string) ([]Document, error) {
	rows, err := s.db.Query(ctx, `SELECT `+documentColumns+` FROM documents WHERE call_id = ? ORDER BY created_at, id`, callID)
	if err != nil {
		return nil, fmt.Errorf("list documents of call %s: %w", callID, err)
	}
	defer rows.Close()
	out := []Document{}
	for rows.Next() {
		d, err := scanDocument(rows)
		if err != nil {
			return nil, fmt.Errorf("scan document of call %s: %w", callID, err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// setStatus moves a document to status, recording the case and material
// when it is accepted.
func (s *Service) setStatus(ctx context.Context, d Document, status Status, caseID, material string) (Document, error) {
	d.Status, d.UpdatedAt = status, s.now()
	if caseID != "" {
		d.CaseID, d.Material = caseID, material
	}
	_, err := s.db.Exec(ctx, `UPDATE documents SET status = ?, case_id = ?, material = ?, updated_at = ? WHERE id = ?`,
		string(d.Status), d.CaseID, d.Material, store.Millis(d.UpdatedAt), d.ID)
	if err != nil {
		return Document{}, fmt.Errorf("set document %s to %s: %w", d.ID, status, err)
	}
	s.notify(d)
	return d, nil
}

func (s *Service) notify(d Document) {
	if s.cfg.OnDocument != nil {
		s.cfg.OnDocument(d)
	}
}
