package objectstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"sync/atomic"

	"github.com/minio/minio-go/v7"
)

// ErrMismatch means the stored copy is not the file that was put.
var ErrMismatch = errors.New("stored object does not match the file")

// metaSHA256 is the user metadata carrying a file's SHA-256, so that the
// bucket alone tells whether an object is intact.
const metaSHA256 = "Sha256"

// Store is one bucket (and key prefix) of an S3-compatible object store.
type Store struct {
	client    *minio.Client
	transport http.RoundTripper
	loc       location
	bucket    atomic.Bool // known to exist
}

// New checks the configuration and returns the store without reaching
// it: a store that is down at start only delays the first upload.
func New(cfg Config) (*Store, error) {
	loc, err := parseURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	creds, err := cfg.creds()
	if err != nil {
		return nil, err
	}
	lookup := minio.BucketLookupDNS
	if loc.pathStyle {
		lookup = minio.BucketLookupPath
	}
	transport := cfg.Transport
	if transport == nil {
		if transport, err = minio.DefaultTransport(loc.secure); err != nil {
			return nil, fmt.Errorf("object store %s: %w", loc.endpoint, err)
		}
	}
	client, err := minio.New(loc.endpoint, &minio.Options{
		Creds: creds, Secure: loc.secure, Region: loc.region, Transport: transport, BucketLookup: lookup,
	})
	if err != nil {
		return nil, fmt.Errorf("object store %s: %w", loc.endpoint, err)
	}
	return &Store{client: client, transport: transport, loc: loc}, nil
}

// Open is New, then EnsureBucket.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	s, err := New(cfg)
	if err != nil {
		return nil, err
	}
	if err := s.EnsureBucket(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// EnsureBucket reaches the store and creates the bucket if it is missing.
func (s *Store) EnsureBucket(ctx context.Context) error {
	if s.bucket.Load() {
		return nil
	}
	ok, err := s.client.BucketExists(ctx, s.loc.bucket)
	if err != nil {
		return fmt.Errorf("object store %s: bucket %s: %w", s.loc.endpoint, s.loc.bucket, err)
	}
	if !ok {
		err = s.client.MakeBucket(ctx, s.loc.bucket, minio.MakeBucketOptions{Region: s.loc.region})
		if err != nil {
			return fmt.Errorf("object store %s: create bucket %s: %w", s.loc.endpoint, s.loc.bucket, err)
		}
	}
	s.bucket.Store(true)
	return nil
}

// Close drops the idle connections to the store.
func (s *Store) Close() {
	if t, ok := s.transport.(interface{ CloseIdleConnections() }); ok {
		t.CloseIdleConnections()
	}
}

// String names the store for logs, without credentials.
func (s *Store) String() string {
	return "s3://" + s.loc.endpoint + "/" + s.loc.bucket + "/" + s.loc.prefix
}

// Bucket is the bucket's name; Key is where the store keeps key.
func (s *Store) Bucket() string { return s.loc.bucket }

// Key is the object name of key: the prefix and key.
func (s *Store) Key(key string) string { return s.loc.prefix + key }

// Put uploads the file at path as key and returns once a read of the
// stored copy gave size bytes with SHA-256 sum (hex). The hash also goes
// into the object's metadata.
func (s *Store) Put(ctx context.Context, key, path, contentType string, size int64, sum string) error {
	if err := s.EnsureBucket(ctx); err != nil {
		return err
	}
	_, err := s.client.FPutObject(ctx, s.loc.bucket, s.Key(key), path, minio.PutObjectOptions{
		ContentType:    contentType,
		UserMetadata:   map[string]string{metaSHA256: sum},
		SendContentMd5: true, // the store refuses a body damaged on the way
	})
	if err != nil {
		return fmt.Errorf("upload %s: %w", key, err)
	}
	return s.verify(ctx, key, size, sum)
}

// verify reads the stored object back and compares its length and hash.
func (s *Store) verify(ctx context.Context, key string, size int64, sum string) error {
	body, info, _, err := minio.Core{Client: s.client}.GetObject(ctx, s.loc.bucket, s.Key(key), minio.GetObjectOptions{})
	if err != nil {
		return fmt.Errorf("verify %s: %w", key, err)
	}
	defer body.Close()
	h := sha256.New()
	n, err := io.Copy(h, body)
	if err != nil {
		return fmt.Errorf("verify %s: %w", key, err)
	}
	got := hex.EncodeToString(h.Sum(nil))
	if n != size || got != sum || info.UserMetadata[metaSHA256] != sum {
		return fmt.Errorf("verify %s: %w: %d bytes, sha256 %s (want %d bytes, %s)", key, ErrMismatch, n, got, size, sum)
	}
	return nil
}

// Stat returns an object's size and the SHA-256 recorded with it.
func (s *Store) Stat(ctx context.Context, key string) (size int64, sum string, err error) {
	info, err := s.client.StatObject(ctx, s.loc.bucket, s.Key(key), minio.StatObjectOptions{})
	if err != nil {
		return 0, "", fmt.Errorf("stat %s: %w", key, notFound(err))
	}
	return info.Size, info.UserMetadata[metaSHA256], nil
}

// Remove deletes key; a key that is not there is no error.
func (s *Store) Remove(ctx context.Context, key string) error {
	if err := s.client.RemoveObject(ctx, s.loc.bucket, s.Key(key), minio.RemoveObjectOptions{}); err != nil {
		return fmt.Errorf("remove %s: %w", key, err)
	}
	return nil
}

// Open returns a reader of key and its size. last is the last byte the
// caller expects to read, or -1 for the end: each read fetches from the
// current offset up to it in one range request, and a read past it
// fetches the rest.
func (s *Store) Open(ctx context.Context, key string, last int64) (io.ReadSeekCloser, int64, error) {
	size, _, err := s.Stat(ctx, key)
	if err != nil {
		return nil, 0, err
	}
	return &rangeReader{ctx: ctx, s: s, key: key, size: size, last: last}, size, nil
}

// notFound makes a missing object's error match fs.ErrNotExist.
func notFound(err error) error {
	if minio.ToErrorResponse(err).StatusCode == http.StatusNotFound {
		return fmt.Errorf("%w: %w", fs.ErrNotExist, err)
	}
	return err
}
