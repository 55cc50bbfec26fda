package recordings

import (
	"context"
	"fmt"
	"time"

	"cloudwindow/store"
)

const retentionInterval = time.Hour

// statusDeleting marks a file whose recording expired but which is still
// on disk; it is never shown for long, and survives a crash mid-deletion.
const statusDeleting Status = "deleting"

// RunRetention deletes expired recordings now and then hourly until ctx
// ends. With Retention 0 it only waits for ctx.
func (rec *Recorder) RunRetention(ctx context.Context) {
	if rec.cfg.Retention <= 0 {
		<-ctx.Done()
		return
	}
	ticker := time.NewTicker(retentionInterval)
	defer ticker.Stop()
	for {
		if n, err := rec.ApplyRetention(ctx); err != nil {
			rec.log.Error("retention", "err", err)
		} else if n > 0 {
			rec.log.Info("retention deleted recording files", "files", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// ApplyRetention deletes the files of recordings that started longer than
// Retention ago and are not on legal hold. The recording rows stay as
// tombstones (status deleted). It returns how many files were removed.
func (rec *Recorder) ApplyRetention(ctx context.Context) (int, error) {
	if rec.cfg.Retention <= 0 {
		return 0, nil
	}
	if err := rec.expire(ctx, rec.now().Add(-rec.cfg.Retention)); err != nil {
		return 0, err
	}
	return rec.removeExpiredFiles(ctx)
}

// expire turns expired recordings into tombstones and marks their files
// for deletion, in one transaction so that a hold set concurrently either
// wins entirely or comes too late (SetHold refuses deleted recordings).
func (rec *Recorder) expire(ctx context.Context, cutoff time.Time) error {
	expired := `SELECT call_id FROM recordings WHERE started_at < ? AND legal_hold = ? AND status IN (?, ?, ?)`
	args := []any{store.Millis(cutoff), false, string(StatusFinished), string(StatusFailed), string(StatusRepaired)}
	return rec.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE recording_files SET status = ? WHERE call_id IN (`+expired+`)`,
			append([]any{string(statusDeleting)}, args...)...)
		if err != nil {
			return fmt.Errorf("mark expired recording files: %w", err)
		}
		_, err = tx.Exec(ctx, `UPDATE recordings SET status = ?, deleted_at = ? WHERE call_id IN (`+expired+`)`,
			append([]any{string(StatusDeleted), store.Millis(rec.now())}, args...)...)
		if err != nil {
			return fmt.Errorf("mark expired recordings: %w", err)
		}
		return nil
	})
}

func (rec *Recorder) removeExpiredFiles(ctx context.Context) (int, error) {
	rows, err := rec.db.Query(ctx, `SELECT `+fileColumns+` FROM recording_files WHERE status = ?`, string(statusDeleting))
	if err != nil {
		return 0, fmt.Errorf("list expired recording files: %w", err)
	}
	var files []File
	for rows.Next() {
		f, err := scanFile(rows)
		if err != nil {
			rows.Close()
			return 0, fmt.Errorf("scan expired recording file: %w", err)
		}
		files = append(files, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("list expired recording files: %w", err)
	}
	removed := 0
	for _, f := range files {
		if err := rec.removeFile(ctx, f); err != nil {
			rec.log.Error("retention: remove recording file", "file", f.Path, "err", err)
			continue // stays "deleting": the next run tries again
		}
		// Only if the uploader did not move it meanwhile; else the next
		// run removes it from where it went.
		res, err := rec.db.Exec(ctx, `UPDATE recording_files SET status = ? WHERE id = ? AND storage = ?`,
			string(StatusDeleted), f.ID, f.Storage)
		if err != nil {
			return removed, fmt.Errorf("mark recording file %s deleted: %w", f.ID, err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			removed++
		}
	}
	return removed, nil
}

// removeFile deletes a file's stored copy and its local one.
func (rec *Recorder) removeFile(ctx context.Context, f File) error {
	if f.Storage != StoredLocal {
		s, key, err := rec.storageOf(f)
		if err != nil {
			return err
		}
		if err := s.Remove(ctx, key); err != nil {
			return err
		}
	}
	return rec.local.Remove(ctx, f.Path)
}
