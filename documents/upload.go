package documents

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"cloudwindow/identity"
	"cloudwindow/store"
)

// Upload statuses.
const (
	uploadReceiving  = "receiving"
	uploadAssembling = "assembling"
	uploadDone       = "done"
	uploadFailed     = "failed"
)

const maxFilenameRunes = 200

// UploadRequest announces a file a station is about to send.
type UploadRequest struct {
	CallID      string `json:"call_id"`
	Filename    string `json:"filename"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`                 // hex SHA-256 of the whole file
	ContentType string `json:"content_type,omitempty"` // optional; must then match the content
}

// UploadState is what a station needs to send or resume an upload.
type UploadState struct {
	UploadID  string    `json:"upload_id"`
	ChunkSize int       `json:"chunk_size"`
	Chunks    int       `json:"chunks"`
	Size      int64     `json:"size"`
	Received  []int     `json:"received"` // chunk indexes stored so far
	Status    string    `json:"status"`   // receiving | assembling | done | failed
	Error     string    `json:"error,omitempty"`
	Document  *Document `json:"document,omitempty"` // once done
}

// upload is a row of the uploads table.
type upload struct {
	id, callID, stationID, filename, contentType, sha256 string
	size                                                 int64
	chunkSize                                            int
	status, documentID, errText                          string
	createdAt, updatedAt                                 time.Time
}

func (u upload) chunks() int { return int((u.size + int64(u.chunkSize) - 1) / int64(u.chunkSize)) }

// chunkLen is the exact length of chunk i: every chunk is full but the last.
func (u upload) chunkLen(i int) int64 {
	if i == u.chunks()-1 {
		return u.size - int64(i)*int64(u.chunkSize)
	}
	return int64(u.chunkSize)
}

func (s *Service) partPath(u upload) string { return filepath.Join(s.uploadsDir(), u.id+".part") }

// Begin starts an upload for the station of the call, or returns the one
// already under way (or finished) for the same file, so a station that
// retries after a dropped link resumes instead of sending a duplicate.
func (s *Service) Begin(ctx context.Context, station identity.Identity, req UploadRequest) (UploadState, error) {
	req, err := s.checkRequest(req)
	if err != nil {
		return UploadState{}, err
	}
	c, err := s.call(ctx, req.CallID)
	if err != nil {
		return UploadState{}, err
	}
	if !isCallStation(station, c) {
		return UploadState{}, fmt.Errorf("upload to call %s: not its station: %w", c.ID, ErrForbidden)
	}
	if err := s.checkOpen(c); err != nil {
		return UploadState{}, err
	}
	// A retry of a file already announced resumes it, and costs no quota.
	if u, err := s.activeUpload(ctx, c.ID, station.AccountID, req.SHA256); err == nil {
		return s.resumed(ctx, u, req)
	} else if !errors.Is(err, sql.ErrNoRows) {
		return UploadState{}, err
	}
	if err := s.checkQuota(ctx, c, station.AccountID, req.Size); err != nil {
		return UploadState{}, err
	}
	if err := s.checkSpace(req.Size); err != nil {
		return UploadState{}, err
	}
	now := store.Millis(s.now())
	_, err = s.db.Exec(ctx, `INSERT INTO uploads (id, call_id, station_id, filename, content_type, size, sha256, chunk_size,
		status, document_id, error, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '', '', ?, ?) ON CONFLICT DO NOTHING`,
		uuid.NewString(), c.ID, station.AccountID, req.Filename, req.ContentType, req.Size, req.SHA256, s.cfg.ChunkSize,
		uploadReceiving, now, now)
	if err != nil {
		return UploadState{}, fmt.Errorf("start upload of %s: %w", req.Filename, err)
	}
	u, err := s.activeUpload(ctx, c.ID, station.AccountID, req.SHA256)
	if err != nil {
		return UploadState{}, err
	}
	return s.resumed(ctx, u, req)
}

// resumed answers an announcement of a file already under way.
func (s *Service) resumed(ctx context.Context, u upload, req UploadRequest) (UploadState, error) {
	if u.size != req.Size {
		return UploadState{}, fmt.Errorf("upload %s has the same SHA-256 but %d bytes, not %d: %w", u.id, u.size, req.Size, ErrConflict)
	}
	return s.state(ctx, u)
}

// checkRequest validates and normalises an upload request.
func (s *Service) checkRequest(req UploadRequest) (UploadRequest, error) {
	req.SHA256 = strings.ToLower(strings.TrimSpace(req.SHA256))
	if !isHexSHA256(req.SHA256) {
		return req, fmt.Errorf("sha256 must be 64 hex digits: %w", ErrInvalid)
	}
	if req.CallID == "" {
		return req, fmt.Errorf("call_id is required: %w", ErrInvalid)
	}
	if req.Size <= 0 {
		return req, fmt.Errorf("size must be positive: %w", ErrInvalid)
	}
	if req.Size > s.cfg.MaxSize {
		return req, fmt.Errorf("%d bytes is over the limit of %d: %w", req.Size, s.cfg.MaxSize, ErrTooLarge)
	}
	if req.ContentType != "" && !allowedType(req.ContentType) {
		return req, fmt.Errorf("content type %q: %w", req.ContentType, ErrUnsupported)
	}
	name, err := cleanFilename(req.Filename)
	if err != nil {
		return req, err
	}
	req.Filename = name
	return req, nil
}

// cleanFilename keeps the last path element of a client's file name; it
// is shown to people and never used as a path.
func cleanFilename(name string) (string, error) {
	name = strings.TrimSpace(filepath.Base(strings.ReplaceAll(name, `\`, "/")))
	if name == "." || name == "/" || name == "" {
		return "scan", nil
	}
	if !utf8.ValidString(name) || utf8.RuneCountInString(name) > maxFilenameRunes {
		return "", fmt.Errorf("filename must be valid text of at most %d characters: %w", maxFilenameRunes, ErrInvalid)
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return "", fmt.Errorf("filename must not contain control characters: %w", ErrInvalid)
		}
	}
	return name, nil
}

func isHexSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

const uploadColumns = `id, call_id, station_id, filename, content_type, size, sha256, chunk_size, status, document_id, error, created_at, updated_at`

func scanUpload(row scanner) (upload, error) {
	var u upload
	var created, updated int64
	err := row.Scan(&u.id, &u.callID, &u.stationID, &u.filename, &u.contentType, &u.size, &u.sha256, &u.chunkSize,
		&u.status, &u.documentID, &u.errText, &created, &updated)
	u.createdAt, u.updatedAt = store.Time(created), store.Time(updated)
	return u, err
}

func (s *Service) activeUpload(ctx context.Context, callID, stationID, sum string) (upload, error) {
	u, err := scanUpload(s.db.QueryRow(ctx, `SELECT `+uploadColumns+` FROM uploads
		WHERE call_id = ? AND station_id = ? AND sha256 = ? AND status <> ?`, callID, stationID, sum, uploadFailed))
	if err != nil {
		return upload{}, fmt.Errorf("find upload of %s: %w", sum, err)
	}
	return u, nil
}

// loadUpload returns an upload of station.
func (s *Service) loadUpload(ctx context.Context, station identity.Identity, id string) (upload, error) {
	u, err := scanUpload(s.db.QueryRow(ctx, `SELECT `+uploadColumns+` FROM uploads WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return upload{}, fmt.Errorf("upload %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return upload{}, fmt.Errorf("load upload %s: %w", id, err)
	}
	if station.Role != identity.RoleStation || station.AccountID != u.stationID {
		return upload{}, fmt.Errorf("upload %s: another station's: %w", id, ErrForbidden)
	}
	return u, nil
}

// Upload returns the state of one of station's uploads, to resume it.
func (s *Service) Upload(ctx context.Context, station identity.Identity, id string) (UploadState, error) {
	u, err := s.loadUpload(ctx, station, id)
	if err != nil {
		return UploadState{}, err
	}
	if u.status == uploadAssembling {
		// A node that died while assembling leaves the claim behind; the
		// next look after it expires finishes the job.
		if err := s.assemble(ctx, u); err != nil {
			return UploadState{}, err
		}
		if u, err = s.loadUpload(ctx, station, id); err != nil {
			return UploadState{}, err
		}
	}
	return s.state(ctx, u)
}

func (s *Service) state(ctx context.Context, u upload) (UploadState, error) {
	st := UploadState{UploadID: u.id, ChunkSize: u.chunkSize, Chunks: u.chunks(), Size: u.size, Status: u.status, Error: u.errText}
	received, err := s.receivedChunks(ctx, u.id)
	if err != nil {
		return UploadState{}, err
	}
	st.Received = make([]int, 0, len(received))
	for i := range st.Chunks {
		if _, ok := received[i]; ok {
			st.Received = append(st.Received, i)
		}
	}
	if u.status == uploadDone {
		d, err := s.Get(ctx, u.documentID)
		if err != nil {
			return UploadState{}, err
		}
		st.Document = &d
	}
	return st, nil
}

// receivedChunks maps the stored chunk indexes of an upload to their hashes.
func (s *Service) receivedChunks(ctx context.Context, uploadID string) (map[int]string, error) {
	rows, err := s.db.Query(ctx, `SELECT idx, sha256 FROM upload_chunks WHERE upload_id = ?`, uploadID)
	if err != nil {
		return nil, fmt.Errorf("list chunks of upload %s: %w", uploadID, err)
	}
	defer rows.Close()
	out := map[int]string{}
	for rows.Next() {
		var i int
		var sum string
		if err := rows.Scan(&i, &sum); err != nil {
			return nil, fmt.Errorf("scan chunk of upload %s: %w", uploadID, err)
		}
		out[i] = sum
	}
	return out, rows.Err()
}

// PutChunk stores chunk index of an upload. body must be exactly the
// chunk's length and hash to chunkSHA256 (hex); a chunk sent again with the
// same content is accepted and changes nothing. When the last chunk is in,
// the file is checked and stored as a Document.
func (s *Service) PutChunk(ctx context.Context, station identity.Identity, uploadID string, index int, body io.Reader, chunkSHA256 string) (UploadState, error) {
	u, err := s.loadUpload(ctx, station, uploadID)
	if err != nil {
		return UploadState{}, err
	}
	switch u.status {
	case uploadDone, uploadAssembling:
		return s.Upload(ctx, station, uploadID)
	case uploadFailed:
		return UploadState{}, fmt.Errorf("upload %s failed (%s); start a new one: %w", u.id, u.errText, ErrConflict)
	}
	if err := s.checkUploadOpen(ctx, u); err != nil {
		return UploadState{}, err
	}
	data, sum, err := readChunk(u, index, body, chunkSHA256)
	if err != nil {
		return UploadState{}, err
	}
	received, err := s.receivedChunks(ctx, u.id)
	if err != nil {
		return UploadState{}, err
	}
	if prev, ok := received[index]; ok && prev != sum {
		return UploadState{}, fmt.Errorf("chunk %d of upload %s was already received with other content: %w", index, u.id, ErrConflict)
	} else if !ok {
		if err := s.checkSpace(int64(len(data))); err != nil {
			return UploadState{}, err
		}
		if err := s.storeChunk(ctx, u, index, data, sum); err != nil {
			return UploadState{}, err
		}
		received[index] = sum
	}
	if len(received) == u.chunks() {
		if err := s.assemble(ctx, u); err != nil {
			return UploadState{}, err
		}
		return s.Upload(ctx, station, uploadID)
	}
	return s.state(ctx, u)
}

// readChunk reads and checks one chunk, returning it and its hex SHA-256.
func readChunk(u upload, index int, body io.Reader, want string) ([]byte, string, error) {
	if index < 0 || index >= u.chunks() {
		return nil, "", fmt.Errorf("chunk index %d is outside 0..%d: %w", index, u.chunks()-1, ErrInvalid)
	}
	want = strings.ToLower(strings.TrimSpace(want))
	if !isHexSHA256(want) {
		return nil, "", fmt.Errorf("X-Chunk-SHA256 must be 64 hex digits: %w", ErrInvalid)
	}
	size := u.chunkLen(index)
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(body, size+1))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, "", fmt.Errorf("chunk %d of upload %s: %w", index, u.id, ErrTooLarge)
	}
	if err != nil {
		// Usually a dropped link: nothing is kept and the station resends.
		return nil, "", fmt.Errorf("chunk %d of upload %s arrived incomplete (%w): %w", index, u.id, err, ErrInvalid)
	}
	if n != size {
		return nil, "", fmt.Errorf("chunk %d must be %d bytes, got %d or more: %w", index, size, n, ErrInvalid)
	}
	h := sha256.Sum256(buf.Bytes())
	if got := hex.EncodeToString(h[:]); got != want {
		return nil, "", fmt.Errorf("chunk %d of upload %s: %w", index, u.id, ErrChecksum)
	}
	return buf.Bytes(), want, nil
}

// storeChunk writes a chunk in place in the part file, then records it. A
// crash in between leaves the chunk unrecorded, and the station sends it
// again over the same bytes.
func (s *Service) storeChunk(ctx context.Context, u upload, index int, data []byte, sum string) error {
	f, err := os.OpenFile(s.partPath(u), os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return fmt.Errorf("open part of upload %s: %w", u.id, err)
	}
	_, err = f.WriteAt(data, int64(index)*int64(u.chunkSize))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write chunk %d of upload %s: %w", index, u.id, err)
	}
	// updated_at tells PurgeUploads that the upload is still alive.
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO upload_chunks (upload_id, idx, sha256) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, u.id, index, sum)
		if err == nil {
			_, err = tx.Exec(ctx, `UPDATE uploads SET updated_at = ? WHERE id = ? AND status = ?`, store.Millis(s.now()), u.id, uploadReceiving)
		}
		if err != nil {
			return fmt.Errorf("record chunk %d of upload %s: %w", index, u.id, err)
		}
		return nil
	})
}
