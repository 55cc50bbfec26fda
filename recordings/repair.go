package recordings

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Repair finishes the files this node left unfinished when it died: each
// is cut back to its last whole cluster and given Cues, Duration and a
// SeekHead, then indexed as repaired (or failed, if nothing usable was
// written). Run it at start, before calls; files of calls being recorded
// now are left alone.
func (rec *Recorder) Repair(ctx context.Context) error {
	files, err := rec.unfinishedFiles(ctx)
	if err != nil {
		return err
	}
	for _, f := range files {
		if rec.recording(f.CallID) {
			continue
		}
		rec.repairFile(&f)
		if err := rec.indexFile(ctx, f); err != nil {
			return err
		}
		rec.log.Info("recording repaired", "call", f.CallID, "file", f.Path, "status", f.Status, "err", f.Error)
	}
	return rec.closeUnfinishedRecordings(ctx)
}

func (rec *Recorder) unfinishedFiles(ctx context.Context) ([]File, error) {
	rows, err := rec.db.Query(ctx, `SELECT `+fileColumns+` FROM recording_files WHERE status = ? AND node = ?`,
		string(StatusRecording), rec.cfg.Node)
	if err != nil {
		return nil, fmt.Errorf("find unfinished recordings: %w", err)
	}
	defer rows.Close()
	var out []File
	for rows.Next() {
		f, err := scanFile(rows)
		if err != nil {
			return nil, fmt.Errorf("scan unfinished recording: %w", err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// recording reports whether a call has files being written by this recorder.
func (rec *Recorder) recording(callID string) bool {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.calls[callID] != nil
}

// repairFile finishes one file and updates f to match.
func (rec *Recorder) repairFile(f *File) {
	path := filepath.Join(rec.dir, filepath.FromSlash(f.Path))
	d, err := finishInPlace(path)
	if err == nil {
		err = f.complete(rec.dir, d, StatusRepaired)
	}
	if err != nil {
		rec.log.Error("repair recording file", "call", f.CallID, "file", f.Path, "err", err)
		f.Status, f.Error = StatusFailed, FailureRepair
		f.EndedAt = f.StartedAt
		if size, _, herr := hashFile(path); herr == nil {
			f.SizeBytes = size
		}
	}
}

// finishInPlace scans an unfinished file and finishes it; it returns the
// duration in milliseconds.
func finishInPlace(path string) (int64, error) {
	file, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return 0, err
	}
	defer file.Close()
	info, err := file.Stat()
	if err != nil {
		return 0, err
	}
	var w *webmWriter
	err = guard(func() (err error) {
		w, err = resumeWebmWriter(file, info.Size())
		return err
	})
	if errors.Is(err, errAlreadyFinished) {
		return w.durationMs(), nil // the node died after finishing, before indexing
	}
	if err != nil {
		return 0, err
	}
	if err := guard(func() error { return w.finish(0) }); err != nil {
		return 0, err
	}
	return w.durationMs(), file.Close()
}

// closeUnfinishedRecordings ends the recording rows this node left open.
func (rec *Recorder) closeUnfinishedRecordings(ctx context.Context) error {
	rows, err := rec.db.Query(ctx, `SELECT call_id FROM recordings WHERE status = ? AND node = ?`,
		string(StatusRecording), rec.cfg.Node)
	if err != nil {
		return fmt.Errorf("find unfinished recordings: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("scan unfinished recording: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("find unfinished recordings: %w", err)
	}
	for _, id := range ids {
		if rec.recording(id) {
			continue
		}
		if err := rec.closeRecording(ctx, id, StatusRepaired, ""); err != nil {
			return err
		}
	}
	return nil
}
