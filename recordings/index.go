package recordings

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"cloudwindow/store"
)

// Status is the state of a recording (a call) or of one of its files.
type Status string

// The statuses. A call's recording is failed when any of its files failed.
const (
	StatusRecording Status = "recording" // being written (or the node died: see Repair)
	StatusFinished  Status = "finished"
	StatusFailed    Status = "failed"
	StatusRepaired  Status = "repaired" // finished by Repair after a crash
	StatusDeleted   Status = "deleted"  // removed by retention; the row is a tombstone
)

// File is one media file of a recording: a party's audio and camera, or the
// station's document camera ("station-document"). A party whose tracks
// changed mid-call has several parts.
type File struct {
	ID          string    `json:"id"`
	CallID      string    `json:"call_id"`
	Party       string    `json:"party"`
	Part        int       `json:"part"`
	Path        string    `json:"-"` // relative to the recordings directory
	ContentType string    `json:"content_type"`
	Tracks      string    `json:"tracks"` // e.g. "VP8+Opus"
	Node        string    `json:"-"`
	StartedAt   time.Time `json:"started_at"`
	EndedAt     time.Time `json:"ended_at,omitzero"`
	DurationMs  int64     `json:"duration_ms"`
	SizeBytes   int64     `json:"size_bytes"`
	SHA256      string    `json:"sha256"`
	Status      Status    `json:"status"`
	Error       string    `json:"error,omitempty"`
	Storage     string    `json:"storage,omitempty"` // StoredLocal (omitted), StoredUploaded or StoredRemote
	ObjectKey   string    `json:"-"`                 // the key in Config.Storage once uploaded
}

// complete fills in the size, hash and end of a file that was finished.
func (r *File) complete(dir string, durationMs int64, status Status) error {
	size, sum, err := hashFile(filepath.Join(dir, filepath.FromSlash(r.Path)))
	if err != nil {
		return err
	}
	r.SizeBytes, r.SHA256, r.DurationMs, r.Status = size, sum, durationMs, status
	r.EndedAt = r.StartedAt.Add(time.Duration(durationMs) * time.Millisecond)
	return nil
}

func hashFile(path string) (int64, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", fmt.Errorf("hash %s: %w", filepath.Base(path), err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, "", fmt.Errorf("hash %s: %w", filepath.Base(path), err)
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// dbTimeout bounds each index write made from a writer goroutine.
const dbTimeout = 10 * time.Second

// indexRecording creates the call's recording row, or reopens it when a
// track starts after everything had ended.
func (rec *Recorder) indexRecording(ctx context.Context, c CallInfo, started time.Time) error {
	_, err := rec.db.Exec(ctx, `INSERT INTO recordings (call_id, station_id, station_name, island, agent_id, agent_name,
		item_id, item_name, category, node, started_at, ended_at, duration_ms, status, error, legal_hold, hold_by, hold_at, deleted_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, ?, '', ?, '', 0, 0)
		ON CONFLICT (call_id) DO UPDATE SET status = ?`,
		c.ID, c.StationID, c.StationName, c.Island, c.AgentID, c.AgentName, c.ItemID, c.ItemName, c.Category,
		rec.cfg.Node, store.Millis(started), string(StatusRecording), false, string(StatusRecording))
	if err != nil {
		return fmt.Errorf("index recording of call %s: %w", c.ID, err)
	}
	return nil
}

// indexFile writes a file's row, inserting or updating it.
func (rec *Recorder) indexFile(ctx context.Context, f File) error {
	_, err := rec.db.Exec(ctx, `INSERT INTO recording_files (id, call_id, party, part, path, content_type, tracks, node,
		started_at, ended_at, duration_ms, size_bytes, sha256, status, error)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET ended_at = excluded.ended_at, duration_ms = excluded.duration_ms,
		size_bytes = excluded.size_bytes, sha256 = excluded.sha256, status = excluded.status, error = excluded.error`,
		f.ID, f.CallID, f.Party, f.Part, f.Path, f.ContentType, f.Tracks, f.Node,
		store.Millis(f.StartedAt), store.Millis(f.EndedAt), f.DurationMs, f.SizeBytes, f.SHA256, string(f.Status), f.Error)
	if err != nil {
		return fmt.Errorf("index file %s of call %s: %w", f.ID, f.CallID, err)
	}
	if f.Status != StatusRecording {
		rec.wakeUploads()
	}
	return nil
}

// closeRecording sets a recording's times and status from its files:
// failed if any file failed or none was written, else done (finished or
// repaired). failure is a writer error no file row carries (a file that
// could not even be created).
func (rec *Recorder) closeRecording(ctx context.Context, callID string, done Status, failure string) error {
	o, err := rec.outcome(ctx, callID, done, failure)
	if err != nil {
		return err
	}
	q := `UPDATE recordings SET started_at = ?, ended_at = ?, duration_ms = ?, status = ?, error = ? WHERE call_id = ? AND status <> ?`
	args := []any{o.start, o.end, o.end - o.start, string(o.status), o.failure, callID, string(StatusDeleted)}
	if o.files == 0 {
		q = `UPDATE recordings SET ended_at = started_at, status = ?, error = ? WHERE call_id = ? AND status <> ?`
		args = args[3:]
	}
	if _, err := rec.db.Exec(ctx, q, args...); err != nil {
		return fmt.Errorf("close recording of call %s: %w", callID, err)
	}
	return nil
}

// recordingOutcome sums up a recording's files.
type recordingOutcome struct {
	status     Status
	failure    string
	files      int
	start, end int64 // Unix ms: the first file's start, the last file's end
}

func (rec *Recorder) outcome(ctx context.Context, callID string, done Status, failure string) (recordingOutcome, error) {
	rows, err := rec.db.Query(ctx, `SELECT status, error, started_at, ended_at FROM recording_files WHERE call_id = ? ORDER BY started_at`, callID)
	if err != nil {
		return recordingOutcome{}, fmt.Errorf("read files of call %s: %w", callID, err)
	}
	defer rows.Close()
	o := recordingOutcome{status: done}
	fileFailure := ""
	for rows.Next() {
		var st, msg string
		var start, end int64
		if err := rows.Scan(&st, &msg, &start, &end); err != nil {
			return recordingOutcome{}, fmt.Errorf("read files of call %s: %w", callID, err)
		}
		if o.files == 0 || start < o.start {
			o.start = start
		}
		o.files++
		o.end = max(o.end, end, start)
		if Status(st) == StatusFailed && fileFailure == "" {
			fileFailure = msg
		}
	}
	switch {
	case fileFailure != "":
		o.status, o.failure = StatusFailed, fileFailure
	case failure != "":
		o.status, o.failure = StatusFailed, failure
	case o.files == 0:
		o.status, o.failure = StatusFailed, "no media was recorded"
	}
	return o, rows.Err()
}
