package documents

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/google/uuid"

	"cloudwindow/cases"
	"cloudwindow/store"
)

// assembleClaim is how long one request owns the assembly of an upload;
// after it, another may take over from a node that died meanwhile.
const assembleClaim = 2 * time.Minute

// assemble turns a complete upload into a Document: whole-file SHA-256,
// content check, move into place, record. One request does it: the claim
// on the row keeps concurrent last chunks, and other nodes, out.
func (s *Service) assemble(ctx context.Context, u upload) error {
	now := s.now()
	res, err := s.db.Exec(ctx, `UPDATE uploads SET status = ?, updated_at = ? WHERE id = ? AND (status = ? OR (status = ? AND updated_at < ?))`,
		uploadAssembling, store.Millis(now), u.id, uploadReceiving, uploadAssembling, store.Millis(now.Add(-assembleClaim)))
	if err != nil {
		return fmt.Errorf("claim upload %s: %w", u.id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return nil // another request has it
	}
	contentType, err := s.check(u)
	if err != nil {
		if ferr := s.fail(ctx, u, err); ferr != nil {
			return ferr
		}
		return err
	}
	d, err := s.save(ctx, u, contentType)
	if err != nil {
		return err
	}
	s.log.Info("document received", "document", d.ID, "call", d.CallID, "type", d.ContentType, "size", d.Size)
	s.notify(d)
	return nil
}

// check verifies the assembled part file: its size and SHA-256 are the
// announced ones and its content is an accepted type (the one announced,
// if any). It returns the content type.
func (s *Service) check(u upload) (string, error) {
	f, err := os.Open(s.partPath(u))
	if err != nil {
		return "", fmt.Errorf("open part of upload %s: %w", u.id, err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", fmt.Errorf("read part of upload %s: %w", u.id, err)
	}
	if n != u.size || hex.EncodeToString(h.Sum(nil)) != u.sha256 {
		return "", fmt.Errorf("the assembled file is not the one announced: %w", ErrChecksum)
	}
	contentType, err := sniff(f, u.size)
	if err != nil {
		return "", err
	}
	if u.contentType != "" && u.contentType != contentType {
		return "", fmt.Errorf("announced as %s but the content is %s: %w", u.contentType, contentType, ErrUnsupported)
	}
	return contentType, nil
}

// save moves the checked part file into place and records the document
// and the finished upload together.
func (s *Service) save(ctx context.Context, u upload, contentType string) (Document, error) {
	now := s.now()
	d := Document{
		ID: uuid.NewString(), CallID: u.callID, StationID: u.stationID, Filename: u.filename, ContentType: contentType,
		Size: u.size, SHA256: u.sha256, Status: StatusNew, CreatedAt: now, UpdatedAt: now,
	}
	d.URL = "/api/v1/documents/" + d.ID
	if c, err := s.cfg.Cases.ForCall(ctx, u.callID); err == nil {
		d.CaseID = c.ID
	} else if !errors.Is(err, cases.ErrNotFound) {
		return Document{}, fmt.Errorf("case of call %s: %w", u.callID, err)
	}
	d.path = filepath.Join("documents", now.UTC().Format("2006/01"), d.ID+extensions[contentType])
	final := filepath.Join(s.dataDir, d.path)
	if err := os.MkdirAll(filepath.Dir(final), 0o750); err != nil {
		return Document{}, fmt.Errorf("create directory for document %s: %w", d.ID, err)
	}
	if err := os.Rename(s.partPath(u), final); err != nil {
		return Document{}, fmt.Errorf("move upload %s into place: %w", u.id, err)
	}
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		if err := insertDocument(ctx, tx, d); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE uploads SET status = ?, document_id = ?, updated_at = ? WHERE id = ?`,
			uploadDone, d.ID, store.Millis(now), u.id)
		return err
	})
	if err != nil {
		// Put the file back so that a later claim can finish the job.
		if rerr := os.Rename(final, s.partPath(u)); rerr != nil {
			s.log.Error("restore upload part", "upload", u.id, "err", rerr)
		}
		return Document{}, fmt.Errorf("record document of upload %s: %w", u.id, err)
	}
	return d, nil
}

// fail marks an upload failed for cause and drops its bytes, so that the
// station's next attempt starts afresh.
func (s *Service) fail(ctx context.Context, u upload, cause error) error {
	s.log.Warn("upload refused", "upload", u.id, "call", u.callID, "err", cause)
	_, err := s.db.Exec(ctx, `UPDATE uploads SET status = ?, error = ?, updated_at = ? WHERE id = ?`,
		uploadFailed, cause.Error(), store.Millis(s.now()), u.id)
	if err != nil {
		return fmt.Errorf("mark upload %s failed: %w", u.id, err)
	}
	if err := os.Remove(s.partPath(u)); err != nil && !errors.Is(err, os.ErrNotExist) {
		s.log.Error("remove part of failed upload", "upload", u.id, "err", err)
	}
	return nil
}

// PurgeUploads drops uploads that were never finished, or failed, before
// cutoff, with their bytes. Run it now and then; finished uploads stay, so
// a late retry still finds its document.
func (s *Service) PurgeUploads(ctx context.Context, cutoff time.Time) (int, error) {
	rows, err := s.db.Query(ctx, `SELECT id FROM uploads WHERE status IN (?, ?) AND updated_at < ?`,
		uploadReceiving, uploadFailed, store.Millis(cutoff))
	if err != nil {
		return 0, fmt.Errorf("list stale uploads: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, fmt.Errorf("scan stale upload: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		err := s.db.Tx(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, `DELETE FROM upload_chunks WHERE upload_id = ?`, id); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `DELETE FROM uploads WHERE id = ?`, id)
			return err
		})
		if err != nil {
			return 0, fmt.Errorf("purge upload %s: %w", id, err)
		}
		if err := os.Remove(s.partPath(upload{id: id})); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.log.Error("remove part of stale upload", "upload", id, "err", err)
		}
	}
	return len(ids), nil
}
