package recordings

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/at-wat/ebml-go"
	"github.com/at-wat/ebml-go/webm"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"cloudwindow/store"
	"cloudwindow/store/storetest"
)

// testDBs returns a fresh SQLite store, plus a PostgreSQL one when
// CLOUDWINDOW_TEST_POSTGRES names a database.
func testDBs(t *testing.T) map[string]*store.DB {
	t.Helper()
	dbs := map[string]*store.DB{"sqlite": testSQLite(t)}
	if url := os.Getenv("CLOUDWINDOW_TEST_POSTGRES"); url != "" {
		dbs["postgres"] = storetest.OpenPostgres(t, url)
	}
	return dbs
}

func testSQLite(t testing.TB) *store.DB { return storetest.OpenSQLite(t) }

type testRecorder struct {
	*Recorder
	clock *fakeClock
	reg   *prometheus.Registry
}

func newTestRecorder(t testing.TB, db *store.DB, dir string, mods ...func(*Config)) *testRecorder {
	t.Helper()
	clock := newFakeClock(time.Date(2025, 3, 1, 9, 0, 0, 0, time.Local))
	reg := prometheus.NewRegistry()
	cfg := Config{Dir: dir, DB: db, Registerer: reg, Now: clock.Now, Node: "node-a", KeyframeInterval: -1,
		Logger: slog.New(slog.DiscardHandler)}
	for _, mod := range mods {
		mod(&cfg)
	}
	rec, err := New(cfg)
	if err != nil {
		t.Fatalf("new recorder: %v", err)
	}
	t.Cleanup(func() { rec.Close() })
	return &testRecorder{Recorder: rec, clock: clock, reg: reg}
}

var testCall = CallInfo{ID: "call-1", StationID: "st-1", StationName: "长兴岛 村站", Island: true,
	AgentID: "ag-1", AgentName: "王芳", ItemID: "med-1", ItemName: "医保报销", Category: "医保"}

// party is a publisher's tracks attached to the recorder.
type party struct {
	audio, video *trackSink
	keyRequests  atomic.Int32 // keyframes needed
	seekRequests atomic.Int32 // keyframes wished for as seek points
}

func (p *party) RequestKeyframe()  { p.keyRequests.Add(1) }
func (p *party) RequestSeekPoint() { p.seekRequests.Add(1) }

func (tr *testRecorder) join(t testing.TB, call CallInfo, name string, video bool) *party {
	t.Helper()
	p := &party{}
	p.audio = tr.newSink(call, trackSpec{party: name, source: "audio", codec: opusCodec}, nil)
	if video {
		p.video = tr.newSink(call, trackSpec{party: name, source: "camera", codec: vp8Codec}, p)
	}
	if p.audio == nil || (video && p.video == nil) {
		t.Fatalf("recorder refused the tracks")
	}
	return p
}

// feed plays arrivals into the party's sinks on the fake clock.
func (tr *testRecorder) feed(p *party, as []arrival) {
	for _, a := range as {
		tr.clock.Set(a.at)
		s := p.audio
		if a.video {
			s = p.video
		}
		if a.sr != nil {
			s.WriteSenderReport(a.sr)
		} else {
			s.WriteRTP(a.pkt)
		}
	}
}

func (p *party) close() {
	p.audio.Close()
	if p.video != nil {
		p.video.Close()
	}
}

func (tr *testRecorder) wait(t testing.TB, callID string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := tr.Wait(ctx, callID); err != nil {
		t.Fatal(err)
	}
}

// parsed is a recording file as a player sees it.
type parsed struct {
	segment webm.Segment
	raw     []byte
	segData int64
	blocks  []parsedBlock
}

type parsedBlock struct {
	track uint64
	at    time.Duration
	key   bool
	data  []byte
}

func parseFile(t testing.TB, path string) parsed {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Header  webm.EBMLHeader `ebml:"EBML"`
		Segment webm.Segment    `ebml:"Segment"`
	}
	if err := ebml.Unmarshal(bytes.NewReader(raw), &doc); err != nil {
		t.Fatalf("parse %s: %v", filepath.Base(path), err)
	}
	p := parsed{segment: doc.Segment, raw: raw}
	head, _ := readElementHeader(bytes.NewReader(raw), 0)
	seg, _ := readElementHeader(bytes.NewReader(raw), head.end())
	p.segData = seg.dataOff
	for _, c := range doc.Segment.Cluster {
		for _, b := range c.SimpleBlock {
			at := time.Duration(int64(c.Timecode)+int64(b.Timecode)) * time.Millisecond
			p.blocks = append(p.blocks, parsedBlock{track: b.TrackNumber, at: at, key: b.Keyframe, data: b.Data[0]})
		}
	}
	return p
}

func (p parsed) trackNumber(t testing.TB, codecID string) uint64 {
	t.Helper()
	for _, e := range p.segment.Tracks.TrackEntry {
		if e.CodecID == codecID {
			return e.TrackNumber
		}
	}
	t.Fatalf("no %s track in %+v", codecID, p.segment.Tracks.TrackEntry)
	return 0
}

func (p parsed) blocksOf(track uint64) []parsedBlock {
	var out []parsedBlock
	for _, b := range p.blocks {
		if b.track == track {
			out = append(out, b)
		}
	}
	return out
}

// elementAt returns the ID of the element at a Segment-relative position.
func (p parsed) elementAt(pos uint64) uint32 {
	h, err := readElementHeader(bytes.NewReader(p.raw), p.segData+int64(pos))
	if err != nil {
		return 0
	}
	return h.id
}

func (tr *testRecorder) files(t testing.TB, callID string) []File {
	t.Helper()
	s, err := tr.Session(context.Background(), callID)
	if err != nil {
		t.Fatal(err)
	}
	return s.Files
}

func (tr *testRecorder) pathOf(f File) string {
	return filepath.Join(tr.dir, filepath.FromSlash(f.Path))
}

func metricValue(t testing.TB, m prometheus.Metric) float64 {
	t.Helper()
	var out dto.Metric
	if err := m.Write(&out); err != nil {
		t.Fatal(err)
	}
	if out.Counter != nil {
		return out.Counter.GetValue()
	}
	return out.Gauge.GetValue()
}
