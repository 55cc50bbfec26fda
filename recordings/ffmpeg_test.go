package recordings

import (
	"math"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

// TestFFmpegPlaysAndSeeksTheRecording records real VP8 and Opus, encoded
// by ffmpeg, through a lossy, reordering link, then has ffmpeg decode the
// file from the start and after a seek: a player's view, not the muxer's.
// Skipped where ffmpeg is not installed.
func TestFFmpegPlaysAndSeeksTheRecording(t *testing.T) {
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg not installed")
	}
	src := filepath.Join(t.TempDir(), "source.webm")
	runTool(t, ffmpeg, "-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "6",
		"-c:v", "libvpx", "-g", "50", "-deadline", "realtime", "-b:v", "300k",
		"-c:a", "libopus", "-frame_duration", "20", "-ac", "2", src)

	tr := newTestRecorder(t, testSQLite(t), t.TempDir())
	tr.queueLen = 1 << 15
	p := tr.join(t, testCall, "station", true)
	tr.feed(p, disorder(packetize(t, parseFile(t, src), tr.clock.Now()), 3, 10, 1))
	p.close()
	tr.wait(t, testCall.ID)
	out := tr.pathOf(tr.files(t, testCall.ID)[0])

	if msg := runTool(t, ffmpeg, "-v", "error", "-i", out, "-f", "null", "-"); msg != "" {
		t.Errorf("ffmpeg reports errors decoding the recording:\n%s", msg)
	}
	if msg := runTool(t, ffmpeg, "-v", "error", "-ss", "4", "-i", out, "-t", "1", "-f", "null", "-"); msg != "" {
		t.Errorf("ffmpeg reports errors after seeking to 4 s:\n%s", msg)
	}
	probe := runTool(t, strings.TrimSuffix(ffmpeg, "ffmpeg")+"ffprobe", "-v", "error",
		"-show_entries", "format=duration", "-of", "csv=p=0", out)
	if d, err := strconv.ParseFloat(strings.TrimSpace(probe), 64); err != nil || math.Abs(d-6) > 0.3 {
		t.Errorf("ffprobe duration = %q, want 6 s", probe)
	}
}

func runTool(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", filepath.Base(name), args, err, out)
	}
	return string(out)
}

// packetize turns a WebM's frames into the RTP packets and sender reports
// a browser would send, arriving from start on.
func packetize(t *testing.T, f parsed, start time.Time) []arrival {
	video, audio := f.trackNumber(t, "V_VP8"), f.trackNumber(t, "A_OPUS")
	pay := &codecs.VP8Payloader{EnablePictureID: true}
	var out []arrival
	var vseq, aseq uint16
	for _, b := range f.blocks {
		at := start.Add(b.at)
		switch b.track {
		case video:
			payloads := pay.Payload(1200, b.data)
			for k, pl := range payloads {
				out = append(out, arrival{at: at.Add(40 * time.Millisecond), video: true, pkt: &rtp.Packet{
					Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: vseq, SSRC: 2,
						Timestamp: uint32(b.at.Milliseconds() * 90), Marker: k == len(payloads)-1}, Payload: pl}})
				vseq++
			}
		case audio:
			out = append(out, arrival{at: at, pkt: &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 111,
				SequenceNumber: aseq, SSRC: 1, Timestamp: uint32(b.at.Milliseconds() * 48)}, Payload: b.data}})
			aseq++
		}
	}
	for s := time.Duration(0); s < 6*time.Second; s += time.Second {
		ntp := toNTP(start.Add(s))
		out = append(out,
			arrival{at: start.Add(s), sr: &rtcp.SenderReport{SSRC: 1, NTPTime: ntp, RTPTime: uint32(s.Milliseconds() * 48)}},
			arrival{at: start.Add(s + 40*time.Millisecond), video: true, sr: &rtcp.SenderReport{SSRC: 2, NTPTime: ntp, RTPTime: uint32(s.Milliseconds() * 90)}})
	}
	return sortArrivals(out)
}
