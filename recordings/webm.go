package recordings

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/bits"
	"time"

	"github.com/at-wat/ebml-go"
	"github.com/at-wat/ebml-go/webm"
)

// File layout, written front to back while the call runs:
//
//	EBML header
//	Segment (size unknown until finished)
//	  seek region: SeekHead + Void, seekRegionSize bytes, rewritten on finish
//	  Info (Duration reserved as an 8-byte float, patched on finish)
//	  Tracks
//	  Cluster … (each written whole, with a known size, once it is complete)
//	  Cues (appended on finish)
//
// A file cut short anywhere after Tracks still plays up to its last whole
// cluster; Repair turns it into a finished file.
const (
	seekRegionSize = 128
	timecodeScale  = 1_000_000 // block timestamps are milliseconds
	maxClusterMs   = 1000      // bounds what a crash can lose
	unknownSize    = 0x01FFFFFFFFFFFFFF
	segmentID      = "\x18\x53\x80\x67"
	durationHeader = "\x44\x89\x88" // Duration's ID and an 8-byte size
	clusterID      = "\x1F\x43\xB6\x75"
	timecodeID     = 0xE7 // a Cluster's Timecode
	simpleBlockID  = 0xA3
)

// recordingFile is what a muxer writes to; *os.File implements it.
type recordingFile interface {
	io.WriterAt
	io.ReaderAt
	Truncate(size int64) error
	Sync() error
	Close() error
}

type cuePoint struct {
	timeMs     uint64
	track      uint64
	clusterPos uint64 // relative to the Segment's data
}

// webmWriter muxes blocks into one Matroska/WebM file.
type webmWriter struct {
	f           recordingFile
	off         int64 // end of what has been written
	segData     int64 // file offset where the Segment's data starts
	durationOff int64 // file offset of the Duration float
	infoPos     uint64
	tracksPos   uint64
	cueTrack    uint64 // clusters starting on a keyframe of this track are cued
	cues        []cuePoint
	cluster     pendingCluster
	endMs       int64
	flushedMs   int64 // endMs as of the last cluster on disk
	buf         bytes.Buffer
}

// pendingCluster is the cluster being written: it is encoded into the
// writer's buffer frame by frame, and reaches the file whole once it ends,
// so frames need not be kept until then.
type pendingCluster struct {
	open    bool
	startMs int64
	cued    bool
	sizeAt  int // where in the buffer its size goes
}

type infoElement struct {
	Duration      float64   `ebml:"Duration"` // first, so its offset is fixed
	TimecodeScale uint64    `ebml:"TimecodeScale"`
	MuxingApp     string    `ebml:"MuxingApp"`
	WritingApp    string    `ebml:"WritingApp"`
	DateUTC       time.Time `ebml:"DateUTC"`
}

type seekEntry struct {
	SeekID       []byte `ebml:"SeekID"`
	SeekPosition uint64 `ebml:"SeekPosition,size=8"`
}

// newWebmWriter writes the file header. cueTrack is the video track, or
// the audio track of an audio-only file.
func newWebmWriter(f recordingFile, docType string, tracks []webm.TrackEntry, cueTrack uint64, date time.Time) (*webmWriter, error) {
	w := &webmWriter{f: f, cueTrack: cueTrack}
	if err := w.encodeHead(docType); err != nil {
		return nil, err
	}
	if err := w.encodeInfo(date); err != nil {
		return nil, err
	}
	w.tracksPos = uint64(int64(w.buf.Len()) - w.segData)
	tr := struct {
		Tracks webm.Tracks `ebml:"Tracks"`
	}{webm.Tracks{TrackEntry: tracks}}
	if err := ebml.Marshal(&tr, &w.buf); err != nil {
		return nil, fmt.Errorf("encode Tracks: %w", err)
	}
	region, err := w.seekRegion(0)
	if err != nil {
		return nil, err
	}
	copy(w.buf.Bytes()[w.segData:], region)
	if err := w.flushBuf(); err != nil {
		return nil, err
	}
	return w, nil
}

// encodeHead buffers the EBML header, the Segment's start and room for the
// seek region.
func (w *webmWriter) encodeHead(docType string) error {
	head := struct {
		Header webm.EBMLHeader `ebml:"EBML"`
	}{webm.EBMLHeader{
		EBMLVersion: 1, EBMLReadVersion: 1, EBMLMaxIDLength: 4, EBMLMaxSizeLength: 8,
		DocType: docType, DocTypeVersion: 4, DocTypeReadVersion: 2,
	}}
	if err := ebml.Marshal(&head, &w.buf); err != nil {
		return fmt.Errorf("encode EBML header: %w", err)
	}
	w.buf.WriteString(segmentID)
	w.buf.Write(sizeBytes(unknownSize))
	w.segData = int64(w.buf.Len())
	w.buf.Write(make([]byte, seekRegionSize))
	return nil
}

// encodeInfo buffers Info and notes where its Duration is to be patched.
func (w *webmWriter) encodeInfo(date time.Time) error {
	start := w.buf.Len()
	w.infoPos = uint64(int64(start) - w.segData)
	info := struct {
		Info infoElement `ebml:"Info"`
	}{infoElement{TimecodeScale: timecodeScale, MuxingApp: "cloudwindow", WritingApp: "cloudwindow", DateUTC: date}}
	if err := ebml.Marshal(&info, &w.buf); err != nil {
		return fmt.Errorf("encode Info: %w", err)
	}
	at := bytes.Index(w.buf.Bytes()[start:], []byte(durationHeader))
	if at < 0 {
		return fmt.Errorf("encode Info: Duration not found")
	}
	w.durationOff = int64(start + at + len(durationHeader))
	return nil
}

// seekRegion returns the SeekHead padded with a Void to seekRegionSize.
// cuesPos 0 means there are no Cues (yet).
func (w *webmWriter) seekRegion(cuesPos uint64) ([]byte, error) {
	seeks := []seekEntry{
		{SeekID: ebml.ElementInfo.Bytes(), SeekPosition: w.infoPos},
		{SeekID: ebml.ElementTracks.Bytes(), SeekPosition: w.tracksPos},
	}
	if cuesPos > 0 {
		seeks = append(seeks, seekEntry{SeekID: ebml.ElementCues.Bytes(), SeekPosition: cuesPos})
	}
	head := struct {
		SeekHead struct {
			Seek []seekEntry `ebml:"Seek"`
		} `ebml:"SeekHead"`
	}{}
	head.SeekHead.Seek = seeks
	var b bytes.Buffer
	if err := ebml.Marshal(&head, &b); err != nil {
		return nil, fmt.Errorf("encode SeekHead: %w", err)
	}
	pad := seekRegionSize - b.Len()
	if pad < 2 {
		return nil, fmt.Errorf("encode SeekHead: %d bytes do not fit the reserved %d", b.Len(), seekRegionSize)
	}
	b.Write(voidElement(pad))
	return b.Bytes(), nil
}

// writeBlock adds one frame at ms (relative to the file's start). Frames of
// all tracks must come in roughly increasing time order. data is copied:
// the caller may reuse it.
func (w *webmWriter) writeBlock(track uint64, ms int64, key bool, data []byte) error {
	if track >= 0x7F {
		return fmt.Errorf("block of track %d: track numbers past 126 are not written", track)
	}
	c := &w.cluster
	startsCue := track == w.cueTrack && key
	if c.open && (startsCue || ms-c.startMs >= maxClusterMs) {
		if err := w.flushCluster(); err != nil {
			return err
		}
	}
	if !c.open {
		// Cluster times never go back, so a late frame of another track
		// gets a negative offset in the next cluster instead.
		w.openCluster(max(ms, c.startMs), startsCue)
	}
	ms = max(ms, c.startMs-math.MaxInt16)
	timecode := int16(ms - c.startMs)
	var flags byte
	if key {
		flags = 0x80
	}
	w.buf.WriteByte(simpleBlockID)
	writeSize(&w.buf, uint64(4+len(data)))
	w.buf.Write([]byte{0x80 | byte(track), byte(uint16(timecode) >> 8), byte(timecode), flags})
	w.buf.Write(data)
	w.endMs = max(w.endMs, ms)
	return nil
}

// openCluster starts a cluster at startMs: its ID, room for its size, and
// its Timecode. The cluster is encoded by hand because the generic
// marshaller builds a buffer per element, which was most of the recorder's
// garbage.
func (w *webmWriter) openCluster(startMs int64, cued bool) {
	c := &w.cluster
	c.open, c.startMs, c.cued = true, startMs, cued
	w.buf.WriteString(clusterID)
	c.sizeAt = w.buf.Len()
	writeSize(&w.buf, 0)
	tcLen := max(1, (bits.Len64(uint64(startMs))+7)/8)
	w.buf.WriteByte(timecodeID)
	w.buf.WriteByte(0x80 | byte(tcLen))
	for i := tcLen - 1; i >= 0; i-- {
		w.buf.WriteByte(byte(uint64(startMs) >> (8 * i)))
	}
}

func (w *webmWriter) flushCluster() error {
	c := &w.cluster
	if !c.open {
		return nil
	}
	b := w.buf.Bytes()
	binary.BigEndian.PutUint64(b[c.sizeAt:], uint64(len(b)-c.sizeAt-8))
	b[c.sizeAt] = 0x01 // an 8-byte EBML size
	cues := len(w.cues)
	if c.cued {
		w.cues = append(w.cues, cuePoint{timeMs: uint64(c.startMs), track: w.cueTrack, clusterPos: uint64(w.off - w.segData)})
	}
	c.open = false
	if err := w.flushBuf(); err != nil {
		// The cluster is lost: the file ends, and can be finished, at the
		// one before.
		w.cues, w.endMs = w.cues[:cues], w.flushedMs
		return fmt.Errorf("cluster at %d ms: %w", c.startMs, err)
	}
	w.flushedMs = w.endMs
	return nil
}

// writeSize appends an element data size as an 8-byte EBML integer.
func writeSize(buf *bytes.Buffer, v uint64) {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	b[0] = 0x01
	buf.Write(b[:])
}

// flushBuf writes the buffer at the end of the file. A failed write is
// cut off again, so the file still ends on a whole element.
func (w *webmWriter) flushBuf() error {
	n, err := w.f.WriteAt(w.buf.Bytes(), w.off)
	w.buf.Reset()
	if err != nil {
		if n > 0 {
			w.f.Truncate(w.off) // if this fails too, Repair cuts it at the next start
		}
		return fmt.Errorf("write at %d: %w", w.off, err)
	}
	w.off += int64(n)
	return nil
}

// finish writes the last cluster and the Cues, then patches Duration, the
// SeekHead and the Segment size so players can seek.
func (w *webmWriter) finish(lastFrameMs int64) error {
	if err := w.flushCluster(); err != nil {
		return err
	}
	var cuesPos uint64
	if len(w.cues) > 0 {
		cuesPos = uint64(w.off - w.segData)
		if err := w.writeCues(); err != nil {
			return err
		}
	}
	region, err := w.seekRegion(cuesPos)
	if err != nil {
		return err
	}
	var dur [8]byte
	binary.BigEndian.PutUint64(dur[:], math.Float64bits(float64(w.endMs+lastFrameMs)))
	patches := []struct {
		at int64
		b  []byte
	}{
		{w.durationOff, dur[:]},
		{w.segData, region},
		{w.segData - 8, sizeBytes(uint64(w.off - w.segData))},
	}
	for _, p := range patches {
		if _, err := w.f.WriteAt(p.b, p.at); err != nil {
			return fmt.Errorf("patch header at %d: %w", p.at, err)
		}
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	return nil
}

func (w *webmWriter) writeCues() error {
	type trackPos struct {
		CueTrack           uint64 `ebml:"CueTrack"`
		CueClusterPosition uint64 `ebml:"CueClusterPosition"`
	}
	type point struct {
		CueTime           uint64     `ebml:"CueTime"`
		CueTrackPositions []trackPos `ebml:"CueTrackPositions"`
	}
	cues := struct {
		Cues struct {
			CuePoint []point `ebml:"CuePoint"`
		} `ebml:"Cues"`
	}{}
	for _, c := range w.cues {
		cues.Cues.CuePoint = append(cues.Cues.CuePoint, point{
			CueTime: c.timeMs, CueTrackPositions: []trackPos{{CueTrack: c.track, CueClusterPosition: c.clusterPos}},
		})
	}
	if err := ebml.Marshal(&cues, &w.buf); err != nil {
		return fmt.Errorf("encode Cues: %w", err)
	}
	return w.flushBuf()
}

// durationMs is the length of what has been written so far.
func (w *webmWriter) durationMs() int64 { return w.endMs }

// sizeBytes encodes an element data size as an 8-byte EBML integer, the
// width reserved for every size patched later.
func sizeBytes(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	b[0] = 0x01
	return b
}

// voidElement returns an EBML Void element of exactly n bytes (n >= 2).
func voidElement(n int) []byte {
	b := make([]byte, n)
	b[0] = 0xEC
	if n-2 < 0x7F {
		b[1] = 0x80 | byte(n-2)
		return b
	}
	copy(b[1:], sizeBytes(uint64(n-9)))
	return b
}
