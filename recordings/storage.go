package recordings

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
)

// Storage keeps finished recording files. Files are always written to the
// node's disk first; with Config.Storage set, finished ones are uploaded
// there (upload.go) and the local copies removed. objectstore.Store is
// the S3-compatible implementation; localStorage is the node's disk.
type Storage interface {
	// Put stores the file at path as key, and returns only once the stored
	// copy is known to hold size bytes with SHA-256 sum (hex).
	Put(ctx context.Context, key, path, contentType string, size int64, sum string) error
	// Open returns a reader of key and its size; last is the last byte the
	// caller expects to read (-1: to the end), so a range is fetched whole.
	Open(ctx context.Context, key string, last int64) (io.ReadSeekCloser, int64, error)
	// Remove deletes key; one that is not there is no error.
	Remove(ctx context.Context, key string) error
	// String names the storage for logs.
	String() string
}

// Where a file is (File.Storage).
const (
	StoredLocal    = ""         // on the recording node's disk only
	StoredUploaded = "uploaded" // verified in the object store; the local copy may remain
	StoredRemote   = "remote"   // in the object store only
)

// localStorage is the recordings directory on this node's disk; keys are
// paths relative to it.
type localStorage struct{ dir string }

func (l localStorage) String() string { return l.dir }

func (l localStorage) path(key string) (string, error) {
	p := filepath.FromSlash(key)
	if !filepath.IsLocal(p) {
		return "", fmt.Errorf("recording file key %q is not inside the recordings directory", key)
	}
	return filepath.Join(l.dir, p), nil
}

// Put copies the file to key, unless it is already there, and checks it.
func (l localStorage) Put(_ context.Context, key, src, _ string, size int64, sum string) error {
	dst, err := l.path(key)
	if err != nil {
		return err
	}
	if dst != src {
		if err := copyFile(src, dst); err != nil {
			return err
		}
	}
	n, got, err := hashFile(dst)
	if err != nil {
		return err
	}
	if n != size || got != sum {
		return fmt.Errorf("store %s: copy has %d bytes, sha256 %s (want %d, %s)", key, n, got, size, sum)
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("copy recording file: %w", err)
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return fmt.Errorf("copy recording file: %w", err)
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return fmt.Errorf("copy recording file: %w", err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy recording file %s: %w", filepath.Base(dst), err)
	}
	return out.Close()
}

func (l localStorage) Open(_ context.Context, key string, _ int64) (io.ReadSeekCloser, int64, error) {
	p, err := l.path(key)
	if err != nil {
		return nil, 0, err
	}
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, 0, fmt.Errorf("recording file %s is missing from disk: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("open recording file %s: %w", key, err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("open recording file %s: %w", key, err)
	}
	return f, info.Size(), nil
}

func (l localStorage) Remove(_ context.Context, key string) error {
	p, err := l.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove recording file %s: %w", key, err)
	}
	return nil
}

// objectKey names a file in the object store: its day and local name,
// with its id in front, since nodes number parts on their own disks and
// two of them may pick the same name for one call.
func objectKey(f File) string {
	return path.Join(path.Dir(f.Path), f.ID+"-"+path.Base(f.Path))
}

// storageOf is where f's media is read from and removed.
func (rec *Recorder) storageOf(f File) (Storage, string, error) {
	if f.Storage == StoredLocal {
		return rec.local, f.Path, nil
	}
	if rec.cfg.Storage == nil {
		return nil, "", fmt.Errorf("file %s is in an object store, and none is configured", f.ID)
	}
	return rec.cfg.Storage, f.ObjectKey, nil
}

// openMedia opens a file's media wherever it is; last is the last byte
// the request asks for (-1: unknown or the end).
func (rec *Recorder) openMedia(ctx context.Context, f File, last int64) (io.ReadSeekCloser, error) {
	s, key, err := rec.storageOf(f)
	if err != nil {
		return nil, err
	}
	r, _, err := s.Open(ctx, key, last)
	if errors.Is(err, fs.ErrNotExist) {
		err = fmt.Errorf("file %s is missing from the object store: %w", f.ID, ErrNotFound)
	}
	return r, err
}

// lastByte reads the end of a single "bytes=first-last" range; -1 for any
// other Range (none, open-ended, suffix, several), which reads to the end.
func lastByte(header string) int64 {
	spec, ok := strings.CutPrefix(header, "bytes=")
	if !ok || strings.Contains(spec, ",") {
		return -1
	}
	first, last, ok := strings.Cut(strings.TrimSpace(spec), "-")
	if !ok || first == "" {
		return -1
	}
	n, err := strconv.ParseInt(last, 10, 64)
	if err != nil || n < 0 {
		return -1
	}
	return n
}
