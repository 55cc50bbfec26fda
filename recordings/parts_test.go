package recordings

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"

	"cloudwindow/media"
)

func TestLateCameraStartsANewPart(t *testing.T) {
	tr := newTestRecorder(t, testSQLite(t), t.TempDir())
	tr.queueLen = 1 << 15
	st := stream{start: tr.clock.Now(), length: 6 * time.Second, keyEvery: 25, srEvery: time.Second}
	p := &party{audio: tr.newSink(testCall, trackSpec{party: "agent", source: "audio", codec: opusCodec}, nil)}
	var early, late []arrival
	for _, a := range st.arrivals() {
		switch {
		case !a.video:
			late = append(late, a)
			if a.at.Before(st.start.Add(3 * time.Second)) {
				early, late = append(early, a), late[:len(late)-1]
			}
		case !a.at.Before(st.start.Add(3 * time.Second)):
			late = append(late, a)
		}
	}
	tr.feed(p, early)
	p.video = tr.newSink(testCall, trackSpec{party: "agent", source: "camera", codec: vp8Codec}, p)
	tr.feed(p, sortArrivals(late))
	p.close()
	tr.wait(t, testCall.ID)

	files := tr.files(t, testCall.ID)
	if len(files) != 2 || files[0].Tracks != "Opus" || files[1].Tracks != "VP8+Opus" || files[1].Part != 2 {
		t.Fatalf("files = %+v, want an audio-only part 1 and an audio+video part 2", files)
	}
	if files[0].ContentType != "audio/webm" || !strings.HasSuffix(files[1].Path, "-agent-2.webm") {
		t.Errorf("parts: %s %s, %s", files[0].ContentType, files[0].Path, files[1].Path)
	}
	one, two := parseFile(t, tr.pathOf(files[0])), parseFile(t, tr.pathOf(files[1]))
	if d := one.segment.Info.Duration; d < 2500 || d > 3300 {
		t.Errorf("part 1 lasts %.0f ms, want the ~3 s before the camera", d)
	}
	vb := two.blocksOf(two.trackNumber(t, "V_VP8"))
	if len(vb) == 0 || !vb[0].key || vb[0].at != 0 {
		t.Fatalf("part 2 must start on the camera's keyframe")
	}
	assertSeekHeadFindsCues(t, one)
	assertSeekHeadFindsCues(t, two)
}

func sortArrivals(as []arrival) []arrival {
	out := append([]arrival(nil), as...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].at.Before(out[j-1].at); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func TestDocumentCameraHasItsOwnFile(t *testing.T) {
	tr := newTestRecorder(t, testSQLite(t), t.TempDir())
	tr.queueLen = 1 << 15
	st := stream{start: tr.clock.Now(), length: 3 * time.Second, keyEvery: 25, srEvery: time.Second}
	main := tr.join(t, testCall, "station", true)
	doc := &party{}
	doc.video = tr.newSink(testCall, trackSpec{party: "station", source: "document", codec: vp8Codec}, doc)
	doc.audio = main.audio
	tr.feed(main, st.arrivals())
	tr.feed(doc, st.videoPackets())
	main.close()
	doc.video.Close()
	tr.wait(t, testCall.ID)

	parties := map[string]string{}
	for _, f := range tr.files(t, testCall.ID) {
		parties[f.Party] = f.Tracks
	}
	if parties["station"] != "VP8+Opus" || parties["station-document"] != "VP8" {
		t.Errorf("files by party = %v, want station VP8+Opus and station-document VP8", parties)
	}
}

func TestH264IsRecordedToMatroska(t *testing.T) {
	tr := newTestRecorder(t, testSQLite(t), t.TempDir())
	tr.queueLen = 1 << 15
	h264 := webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000}, PayloadType: 102}
	p := &party{}
	p.video = tr.newSink(testCall, trackSpec{party: "agent", source: "camera", codec: h264}, p)
	sps, pps := testSPS(66, 40, 30, 0), []byte{0x68, 0xce, 0x38, 0x80}
	pay := &codecs.H264Payloader{}
	seq := uint16(0)
	for i := 0; i < 75; i++ {
		frame := annexB([]byte{0x41, 0x9a, byte(i)}, bytes.Repeat([]byte{0x11}, 500))
		if i%25 == 0 {
			frame = annexB(sps, pps, append([]byte{0x65, 0x88}, bytes.Repeat([]byte{0x22}, 3000)...))
		}
		payloads := pay.Payload(1200, frame)
		for k, pl := range payloads {
			tr.clock.Set(tr.clock.Now().Add(time.Millisecond))
			p.video.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 102, SequenceNumber: seq,
				Timestamp: uint32(i * 3600), Marker: k == len(payloads)-1}, Payload: pl})
			seq++
		}
	}
	p.video.Close()
	tr.wait(t, testCall.ID)

	files := tr.files(t, testCall.ID)
	if len(files) != 1 || files[0].ContentType != "video/x-matroska" || !strings.HasSuffix(files[0].Path, ".mkv") {
		t.Fatalf("files = %+v", files)
	}
	f := parseFile(t, tr.pathOf(files[0]))
	e := f.segment.Tracks.TrackEntry[0]
	if e.CodecID != "V_MPEG4/ISO/AVC" || !bytes.Equal(e.CodecPrivate, avcConfig(sps, pps)) || e.Video.PixelWidth != 640 {
		t.Fatalf("track = %+v %+v", e, e.Video)
	}
	vb := f.blocksOf(e.TrackNumber)
	if len(vb) != 75 || !vb[0].key || vb[1].key || !vb[25].key {
		t.Fatalf("%d blocks, keyframes at 0 and 25 expected", len(vb))
	}
	if !bytes.Equal(vb[0].data, avcFrame(sps, pps, append([]byte{0x65, 0x88}, bytes.Repeat([]byte{0x22}, 3000)...))) {
		t.Error("the keyframe is not stored as length-prefixed NAL units")
	}
}

func annexB(nals ...[]byte) []byte {
	var out []byte
	for _, n := range nals {
		out = append(out, 0, 0, 0, 1)
		out = append(out, n...)
	}
	return out
}

func TestCloseFinishesRecordingsInProgress(t *testing.T) {
	tr := newTestRecorder(t, testSQLite(t), t.TempDir())
	tr.queueLen = 1 << 15
	st := stream{start: tr.clock.Now(), length: 3 * time.Second, keyEvery: 25, srEvery: time.Second}
	p := tr.join(t, testCall, "station", true)
	tr.feed(p, st.arrivals())
	if err := tr.Close(); err != nil { // the node shuts down mid-call
		t.Fatal(err)
	}
	p.audio.WriteRTP(st.audioPackets()[0].pkt) // the media path may still deliver: no block, no panic
	p.close()
	files := tr.files(t, testCall.ID)
	if len(files) != 1 || files[0].Status != StatusFinished || files[0].DurationMs < 2500 {
		t.Fatalf("files after Close = %+v", files)
	}
	if s := tr.newSink(testCall, trackSpec{party: "agent", source: "audio", codec: opusCodec}, nil); s != nil {
		t.Error("a closed recorder accepted a new track")
	}
}

func TestSinkFactoryRecordsOnlyWhatItCan(t *testing.T) {
	tr := newTestRecorder(t, testSQLite(t), t.TempDir())
	factory := tr.SinkFactory(testCall)
	g722 := webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeG722, ClockRate: 8000}}
	if s := factory(media.TrackInfo{Party: "station", Source: media.SourceAudio, Kind: webrtc.RTPCodecTypeAudio, Codec: g722}, nil); s != nil {
		t.Errorf("G.722 track got a sink %#v; want a nil Sink so the SFU skips it", s)
	}
	s := factory(media.TrackInfo{Party: "station", Source: media.SourceAudio, Kind: webrtc.RTPCodecTypeAudio, Codec: opusCodec}, nil)
	if s == nil {
		t.Fatal("no sink for Opus")
	}
	s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tr.Wait(ctx, testCall.ID); err != nil {
		t.Fatal(err)
	}
	if d, err := tr.Session(ctx, testCall.ID); err != nil || d.Status != StatusFailed || d.Error != "no media was recorded" {
		t.Errorf("a call whose track sent nothing: %+v %v", d.Session, err)
	}
}
