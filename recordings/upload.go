package recordings

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Uploads move this node's finished files to Config.Storage. The index is
// the queue: a file waits there as long as its row says it is on this
// node's disk (storage ”), so a restart loses nothing; the local copy is
// removed only after the stored one was read back with the right SHA-256
// (storage 'uploaded'), and the row then says 'remote'.
const (
	uploadScanInterval = 30 * time.Second // finds what a missed wake-up left
	uploadBackoffMin   = time.Second
	uploadBackoffMax   = 5 * time.Minute
	uploadTimeout      = 30 * time.Minute // one file, however large
)

// uploadable are the statuses of files that are finished being written.
var uploadable = []any{string(StatusFinished), string(StatusRepaired), string(StatusFailed)}

// wakeUploads tells RunUploads a file was finished.
func (rec *Recorder) wakeUploads() {
	select {
	case rec.uploads <- struct{}{}:
	default:
	}
}

// RunUploads moves finished files to Config.Storage until ctx ends; a file
// that fails is tried again with exponential backoff. Without Storage it
// only waits for ctx.
func (rec *Recorder) RunUploads(ctx context.Context) {
	if rec.cfg.Storage == nil {
		<-ctx.Done()
		return
	}
	u := &uploader{rec: rec, retry: map[string]backoff{}}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-rec.uploads:
		case <-timer.C:
		}
		next := u.pass(ctx)
		timer.Reset(next)
	}
}

// backoff is a failing file's next try.
type backoff struct {
	tries int
	at    time.Time
}

// uploader is owned by RunUploads.
type uploader struct {
	rec   *Recorder
	retry map[string]backoff // by file id
}

// pass uploads every pending file not backing off, and returns how long
// to sleep unless woken.
func (u *uploader) pass(ctx context.Context) time.Duration {
	files, err := u.rec.pendingUploads(ctx)
	if err != nil {
		u.rec.log.Error("list recording files to upload", "err", err)
		return uploadBackoffMin * 10
	}
	wait := uploadScanInterval
	for _, f := range files {
		if ctx.Err() != nil {
			return 0
		}
		if b, ok := u.retry[f.ID]; ok && time.Now().Before(b.at) {
			wait = min(wait, time.Until(b.at))
			continue
		}
		if err := u.rec.upload(ctx, f); err != nil {
			b := u.retry[f.ID]
			b.tries++
			delay := min(uploadBackoffMin<<min(b.tries-1, 20), uploadBackoffMax)
			b.at = time.Now().Add(delay)
			u.retry[f.ID] = b
			wait = min(wait, delay)
			u.rec.metrics.uploadFailed.Inc()
			u.rec.log.Warn("upload recording file", "file", f.Path, "tries", b.tries, "retry_in", delay, "err", err)
			continue
		}
		delete(u.retry, f.ID)
	}
	return max(wait, 0)
}

// pendingUploads lists this node's finished files not yet only in the store.
func (rec *Recorder) pendingUploads(ctx context.Context) ([]File, error) {
	rows, err := rec.db.Query(ctx, `SELECT `+fileColumns+` FROM recording_files
		WHERE storage IN (?, ?) AND node = ? AND status IN (?, ?, ?) ORDER BY started_at`,
		append([]any{StoredLocal, StoredUploaded, rec.cfg.Node}, uploadable...)...)
	if err != nil {
		return nil, fmt.Errorf("find recording files to upload: %w", err)
	}
	defer rows.Close()
	var out []File
	for rows.Next() {
		f, err := scanFile(rows)
		if err != nil {
			return nil, fmt.Errorf("scan recording file to upload: %w", err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// upload stores one file and then removes its local copy.
func (rec *Recorder) upload(ctx context.Context, f File) error {
	ctx, cancel := context.WithTimeout(ctx, uploadTimeout)
	defer cancel()
	if f.Storage == StoredLocal {
		stored, err := rec.put(ctx, &f)
		if err != nil || !stored {
			return err
		}
	}
	if err := rec.local.Remove(ctx, f.Path); err != nil {
		return err
	}
	_, err := rec.db.Exec(ctx, `UPDATE recording_files SET storage = ? WHERE id = ? AND storage = ?`,
		StoredRemote, f.ID, StoredUploaded)
	if err != nil {
		return fmt.Errorf("mark recording file %s remote: %w", f.ID, err)
	}
	rec.metrics.uploaded.Inc()
	rec.log.Info("recording file uploaded", "call", f.CallID, "file", f.Path, "key", f.ObjectKey, "bytes", f.SizeBytes)
	return nil
}

// put uploads f and marks it uploaded; false means retention expired it
// meanwhile, so the new object was removed again.
func (rec *Recorder) put(ctx context.Context, f *File) (bool, error) {
	local := filepath.Join(rec.dir, filepath.FromSlash(f.Path))
	size, sum := f.SizeBytes, f.SHA256
	if sum == "" { // a failed file: what it holds was never hashed
		var err error
		if size, sum, err = hashFile(local); err != nil {
			return false, err
		}
	}
	key := objectKey(*f)
	if err := rec.cfg.Storage.Put(ctx, key, local, f.ContentType, size, sum); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			err = fmt.Errorf("recording file %s is missing from disk: %w", f.Path, err)
		}
		return false, err
	}
	res, err := rec.db.Exec(ctx, `UPDATE recording_files SET storage = ?, object_key = ?, size_bytes = ?, sha256 = ?
		WHERE id = ? AND storage = ? AND status IN (?, ?, ?)`,
		append([]any{StoredUploaded, key, size, sum, f.ID, StoredLocal}, uploadable...)...)
	if err != nil {
		return false, fmt.Errorf("mark recording file %s uploaded: %w", f.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if err := rec.cfg.Storage.Remove(ctx, key); err != nil {
			return false, fmt.Errorf("remove upload of expired file %s: %w", f.ID, err)
		}
		return false, nil
	}
	f.Storage, f.ObjectKey, f.SizeBytes, f.SHA256 = StoredUploaded, key, size, sum
	return true, nil
}
