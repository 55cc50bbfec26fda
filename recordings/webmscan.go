package recordings

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/at-wat/ebml-go"
	"github.com/at-wat/ebml-go/webm"
)

// errAlreadyFinished means a scanned file already has its Cues: it was
// closed properly and needs no repair.
var errAlreadyFinished = errors.New("file is already finished")

// Top-level element IDs as they appear in the file.
const (
	elemEBML     = 0x1A45DFA3
	elemSegment  = 0x18538067
	elemInfo     = 0x1549A966
	elemTracks   = 0x1654AE6B
	elemCluster  = 0x1F43B675
	elemCues     = 0x1C53BB6B
	elemDuration = 0x4489
)

type elementHeader struct {
	id      uint32
	size    int64 // -1: unknown
	hdrLen  int64
	dataOff int64
}

func (h elementHeader) end() int64 { return h.dataOff + h.size }

// readElementHeader decodes the ID and size of the element at off.
func readElementHeader(r io.ReaderAt, off int64) (elementHeader, error) {
	var b [12]byte
	n, err := r.ReadAt(b[:], off)
	if n == 0 {
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		return elementHeader{}, err
	}
	idLen := vintLen(b[0])
	if idLen == 0 || idLen > 4 || idLen >= n {
		return elementHeader{}, fmt.Errorf("bad element ID at %d", off)
	}
	var id uint32
	for _, c := range b[:idLen] {
		id = id<<8 | uint32(c)
	}
	sizeLen := vintLen(b[idLen])
	if sizeLen == 0 || idLen+sizeLen > n {
		return elementHeader{}, fmt.Errorf("bad element size at %d", off)
	}
	size := uint64(b[idLen]) & (0xFF >> sizeLen)
	allOnes := size == uint64(0xFF>>sizeLen)
	for _, c := range b[idLen+1 : idLen+sizeLen] {
		size = size<<8 | uint64(c)
		allOnes = allOnes && c == 0xFF
	}
	h := elementHeader{id: id, size: int64(size), hdrLen: int64(idLen + sizeLen)}
	if allOnes {
		h.size = -1
	}
	h.dataOff = off + h.hdrLen
	return h, nil
}

// vintLen is the length of an EBML variable-size integer from its first
// byte, 0 if invalid.
func vintLen(first byte) int {
	for i := 0; i < 8; i++ {
		if first&(0x80>>i) != 0 {
			return i + 1
		}
	}
	return 0
}

// resumeWebmWriter scans a file this package started but never finished,
// cuts off a partly written cluster at the end, and returns a writer ready
// to finish it. Files that have Cues return errAlreadyFinished, with the
// writer for their duration.
func resumeWebmWriter(f recordingFile, fileSize int64) (*webmWriter, error) {
	w := &webmWriter{f: f}
	ebmlHead, err := readElementHeader(f, 0)
	if err != nil || ebmlHead.id != elemEBML {
		return nil, fmt.Errorf("not an EBML file")
	}
	seg, err := readElementHeader(f, ebmlHead.end())
	if err != nil || seg.id != elemSegment || seg.hdrLen != 12 {
		return nil, fmt.Errorf("no Segment written by this recorder")
	}
	w.segData = seg.dataOff
	off := seg.dataOff
	for off < fileSize {
		h, err := readElementHeader(f, off)
		if err != nil || h.size < 0 || h.end() > fileSize {
			break // the write the crash interrupted
		}
		if err := w.scanElement(h); err != nil {
			if errors.Is(err, errAlreadyFinished) {
				return w, err
			}
			return nil, err
		}
		off = h.end()
	}
	if w.durationOff == 0 || w.tracksPos == 0 {
		return nil, fmt.Errorf("header incomplete: nothing recorded")
	}
	if err := f.Truncate(off); err != nil {
		return nil, fmt.Errorf("cut off partial data at %d: %w", off, err)
	}
	w.off, w.flushedMs = off, w.endMs
	return w, nil
}

func (w *webmWriter) scanElement(h elementHeader) error {
	pos := uint64(h.dataOff - h.hdrLen - w.segData)
	switch h.id {
	case elemInfo:
		w.infoPos = pos
		return w.scanInfo(h)
	case elemTracks:
		w.tracksPos = pos
		return w.scanTracks(h)
	case elemCluster:
		return w.scanCluster(h, pos)
	case elemCues:
		return errAlreadyFinished
	}
	return nil
}

func (w *webmWriter) scanInfo(h elementHeader) error {
	for off := h.dataOff; off < h.end(); {
		c, err := readElementHeader(w.f, off)
		if err != nil {
			return fmt.Errorf("read Info: %w", err)
		}
		if c.id == elemDuration && c.size == 8 {
			w.durationOff = c.dataOff
			return nil
		}
		off = c.end()
	}
	return fmt.Errorf("Info has no 8-byte Duration")
}

func (w *webmWriter) scanTracks(h elementHeader) error {
	var tracks struct {
		Tracks webm.Tracks `ebml:"Tracks"`
	}
	if err := w.unmarshalElement(h, &tracks); err != nil {
		return err
	}
	for _, t := range tracks.Tracks.TrackEntry {
		if t.TrackType == trackTypeVideo || w.cueTrack == 0 {
			w.cueTrack = t.TrackNumber
		}
	}
	return nil
}

func (w *webmWriter) scanCluster(h elementHeader, pos uint64) error {
	var cl struct {
		Cluster webm.Cluster `ebml:"Cluster"`
	}
	if err := w.unmarshalElement(h, &cl); err != nil {
		return err
	}
	start := int64(cl.Cluster.Timecode)
	w.cluster.startMs = start
	for i, b := range cl.Cluster.SimpleBlock {
		if i == 0 && b.TrackNumber == w.cueTrack && b.Keyframe {
			w.cues = append(w.cues, cuePoint{timeMs: uint64(start), track: w.cueTrack, clusterPos: pos})
		}
		w.endMs = max(w.endMs, start+int64(b.Timecode))
	}
	return nil
}

func (w *webmWriter) unmarshalElement(h elementHeader, v any) error {
	b := make([]byte, h.hdrLen+h.size)
	if _, err := w.f.ReadAt(b, h.dataOff-h.hdrLen); err != nil {
		return fmt.Errorf("read element %#x: %w", h.id, err)
	}
	if err := ebml.Unmarshal(bytes.NewReader(b), v); err != nil {
		return fmt.Errorf("decode element %#x: %w", h.id, err)
	}
	return nil
}
