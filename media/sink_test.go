package media

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// recordingSink is a stand-in for the recorder.
type recordingSink struct {
	info TrackInfo

	mu         sync.Mutex
	seqs       map[uint16]bool
	mismatches int
	reports    []rtcp.SenderReport
	closed     bool
	concurrent bool
	busy       bool
}

func (s *recordingSink) enter() {
	s.mu.Lock()
	if s.busy {
		s.concurrent = true
	}
	s.busy = true
	s.mu.Unlock()
}

func (s *recordingSink) leave() {
	s.mu.Lock()
	s.busy = false
	s.mu.Unlock()
}

func (s *recordingSink) WriteRTP(p *rtp.Packet) {
	s.enter()
	defer s.leave()
	ok := bytes.Equal(p.Payload, testPayload(s.info.Party, s.info.Source, p.SequenceNumber))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seqs[p.SequenceNumber] = true
	if !ok || p.SSRC != s.info.SSRC {
		s.mismatches++
	}
}

func (s *recordingSink) WriteSenderReport(sr *rtcp.SenderReport) {
	s.enter()
	defer s.leave()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reports = append(s.reports, *sr)
}

func (s *recordingSink) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
}

// sinkRecorder hands out a recordingSink per track, as the recorder's factory would.
type sinkRecorder struct {
	mu    sync.Mutex
	sinks map[string]*recordingSink // by "<party>/<source>"
	kf    map[string]KeyframeRequester
}

func newSinkRecorder() *sinkRecorder {
	return &sinkRecorder{sinks: map[string]*recordingSink{}, kf: map[string]KeyframeRequester{}}
}

func (r *sinkRecorder) factory(info TrackInfo, keyframes KeyframeRequester) Sink {
	s := &recordingSink{info: info, seqs: map[uint16]bool{}}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sinks[info.Party+"/"+string(info.Source)] = s
	r.kf[info.Party+"/"+string(info.Source)] = keyframes
	return s
}

func (r *sinkRecorder) sink(key string) *recordingSink {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sinks[key]
}

func TestSinkReceivesEveryPacketAndSenderReports(t *testing.T) {
	s := newTestSFU(t)
	r := newTestRoom(t, s, "call-sink")
	early := newSinkRecorder()
	r.AddSink(early.factory)
	r.AddSink(func(TrackInfo, KeyframeRequester) Sink { return nil }) // not interested: must be harmless
	station, _ := startCall(t, r, clientOptions{}, clientOptions{})
	late := newSinkRecorder()
	r.AddSink(late.factory) // gets the tracks already published

	cam := early.sink("station/camera")
	if cam == nil || late.sink("station/camera") == nil || early.sink("agent/audio") == nil {
		t.Fatalf("sinks were not offered every track")
	}
	if cam.info.Kind != webrtc.RTPCodecTypeVideo || cam.info.Codec.MimeType != webrtc.MimeTypeVP8 || cam.info.PeerID != "station-1" {
		t.Errorf("camera track info = %+v", cam.info)
	}
	waitFor(t, "sender reports at the sink", func() bool {
		cam.mu.Lock()
		defer cam.mu.Unlock()
		return len(cam.reports) >= 2 && len(cam.seqs) >= 300
	})

	plis := station.plis["station-camera-track"]
	time.Sleep(2 * keyframeInterval)
	before := plis.Load()
	early.kf["station/camera"].RequestKeyframe()
	waitFor(t, "the sink's keyframe request at the station", func() bool { return plis.Load() > before })

	station.stopPublishing() // the station stops sending; every packet it sent must be at the sink
	time.Sleep(200 * time.Millisecond)
	r.Close()

	cam.mu.Lock()
	defer cam.mu.Unlock()
	if !cam.closed {
		t.Errorf("sink not closed when the room closed")
	}
	if cam.concurrent {
		t.Errorf("sink was called from two goroutines at once")
	}
	if cam.mismatches != 0 {
		t.Errorf("%d packets at the sink differ from what the station sent", cam.mismatches)
	}
	for _, sr := range cam.reports {
		if sr.SSRC != cam.info.SSRC || sr.NTPTime == 0 {
			t.Errorf("sender report %+v does not describe the camera track", sr)
		}
	}
	first, last := uint16(65535), uint16(0)
	for seq := range cam.seqs {
		first, last = min(first, seq), max(last, seq)
	}
	for seq := first; seq <= last; seq++ {
		if !cam.seqs[seq] {
			t.Errorf("sink missed packet %d (got %d..%d)", seq, first, last)
			break
		}
	}
}
