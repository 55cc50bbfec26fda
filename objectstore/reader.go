package objectstore

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/minio/minio-go/v7"
)

// rangeReader reads an object through range requests: a read fetches
// from the current offset to last (or the end), a seek drops the open
// response, and the next read fetches from the new offset.
type rangeReader struct {
	ctx       context.Context
	s         *Store
	key       string
	size      int64
	last      int64 // last byte wanted; -1 or beyond: the end
	pos       int64
	body      io.ReadCloser
	bodyPos   int64 // offset the body reads next
	bodyUntil int64 // offset after the body's last byte
}

func (r *rangeReader) Read(p []byte) (int, error) {
	if r.pos >= r.size {
		return 0, io.EOF
	}
	if r.body == nil || r.bodyPos != r.pos || r.bodyPos >= r.bodyUntil {
		if err := r.fetch(); err != nil {
			return 0, err
		}
	}
	n, err := r.body.Read(p)
	r.pos += int64(n)
	r.bodyPos += int64(n)
	if errors.Is(err, io.EOF) {
		r.closeBody()
		if r.pos < r.size && r.pos < r.bodyUntil {
			return n, fmt.Errorf("read %s: %w", r.key, io.ErrUnexpectedEOF)
		}
		err = nil // the range is done; a further read fetches more or ends
	}
	return n, err
}

// fetch opens a range request from pos to the wanted end.
func (r *rangeReader) fetch() error {
	r.closeBody()
	end := r.size - 1
	if r.last >= r.pos && r.last < end {
		end = r.last
	}
	opts := minio.GetObjectOptions{}
	if err := opts.SetRange(r.pos, end); err != nil {
		return fmt.Errorf("read %s: %w", r.key, err)
	}
	body, _, _, err := minio.Core{Client: r.s.client}.GetObject(r.ctx, r.s.loc.bucket, r.s.Key(r.key), opts)
	if err != nil {
		return fmt.Errorf("read %s at %d: %w", r.key, r.pos, notFound(err))
	}
	r.body, r.bodyPos, r.bodyUntil = body, r.pos, end+1
	return nil
}

func (r *rangeReader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += r.pos
	case io.SeekEnd:
		offset += r.size
	default:
		return r.pos, errors.New("seek: bad whence")
	}
	if offset < 0 {
		return r.pos, errors.New("seek: negative position")
	}
	r.pos = offset
	return offset, nil
}

func (r *rangeReader) closeBody() {
	if r.body != nil {
		r.body.Close()
		r.body = nil
	}
}

func (r *rangeReader) Close() error {
	r.closeBody()
	return nil
}
