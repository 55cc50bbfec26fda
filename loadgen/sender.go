package loadgen

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
)

// Payload types the client negotiates first for VP8 and Opus; the SFU
// rewrites them per subscriber anyway.
const (
	vp8PayloadType  = 96
	opusPayloadType = 111
)

// maxCatchUp bounds how many frames a late sender sends at once: after a
// longer stall (a starved CPU) it skips ahead rather than bursting, as a
// real encoder would.
const maxCatchUp = 5

// rtpWriter takes a party's packets: a WebRTC track, or a plain UDP socket
// for the relay baseline.
type rtpWriter interface {
	WriteRTP(p *rtp.Packet) error
}

// sender paces one party's media on its tracks, looping the pattern with
// continuous sequence numbers and timestamps. A keyframe request restarts
// the video at the pattern's keyframe.
type sender struct {
	pat      *pattern
	video    rtpWriter
	audio    rtpWriter
	keyframe atomic.Bool

	// Owned by run.
	pkt              rtp.Packet
	videoSeq         uint16
	audioSeq         uint16
	frameNo, audioNo uint32
	framePos         int // index in pat.frames of the next frame
	sentVideo        uint64
	sentAudio        uint64
}

// requestKeyframe is called from the feedback readers.
func (s *sender) requestKeyframe(source string) {
	if source == "camera" {
		s.keyframe.Store(true)
	}
}

// run sends until ctx ends.
func (s *sender) run(ctx context.Context) {
	start := time.Now()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		elapsed := time.Since(start)
		s.catchUp(elapsed, &start)
		nextVideo := time.Duration(s.frameNo) * s.pat.frameEvery
		nextAudio := time.Duration(s.audioNo) * audioInterval
		timer.Reset(min(nextVideo, nextAudio) - time.Since(start))
	}
}

// catchUp sends every frame and audio packet due by elapsed. When more than
// maxCatchUp frames are due, the schedule moves forward instead.
func (s *sender) catchUp(elapsed time.Duration, start *time.Time) {
	lateFrames := int((elapsed - time.Duration(s.frameNo)*s.pat.frameEvery) / s.pat.frameEvery)
	if lateFrames > maxCatchUp {
		skip := time.Duration(lateFrames) * s.pat.frameEvery
		*start = start.Add(skip)
		elapsed -= skip
	}
	for time.Duration(s.frameNo)*s.pat.frameEvery <= elapsed {
		s.sendFrame()
	}
	for time.Duration(s.audioNo)*audioInterval <= elapsed {
		s.sendAudio()
	}
}

func (s *sender) sendFrame() {
	if s.keyframe.Swap(false) {
		s.framePos = 0
	}
	frame := s.pat.frames[s.framePos]
	ts := s.frameNo * s.pat.frameTicks
	for i, payload := range frame {
		s.write(s.video, vp8PayloadType, s.videoSeq, ts, i == len(frame)-1, payload)
		s.videoSeq++
		s.sentVideo++
	}
	s.frameNo++
	s.framePos = (s.framePos + 1) % len(s.pat.frames)
}

func (s *sender) sendAudio() {
	payload := s.pat.audio[int(s.audioNo)%len(s.pat.audio)]
	s.write(s.audio, opusPayloadType, s.audioSeq, s.audioNo*audioTicks, true, payload)
	s.audioSeq++
	s.audioNo++
	s.sentAudio++
}

// write sends one packet. A write error means the PeerConnection is
// closing; the run's context ends right after.
func (s *sender) write(tr rtpWriter, pt uint8, seq uint16, ts uint32, marker bool, payload []byte) {
	s.pkt.Header = rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: seq, Timestamp: ts, Marker: marker}
	s.pkt.Payload = payload
	_ = tr.WriteRTP(&s.pkt)
}
