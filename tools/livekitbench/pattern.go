package main

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
)

// The packet pattern of cloudwindow's load generator (loadgen/pattern.go,
// syntheticPattern and sender): VP8 at 30 frames per second in
// packetSize-byte payloads, the first of each frame with a VP8 header,
// frame 0 a keyframe; 80-byte Opus frames every 20 ms. Kept in step with
// it by hand: this module must not import the product.
const (
	videoRate     = 30
	audioInterval = 20 * time.Millisecond
	audioTicks    = 960
	maxCatchUp    = 5
)

type pattern struct {
	frames [][][]byte
	audio  []byte
}

func syntheticPattern(videoBitrate, packetSize int) *pattern {
	perFrame := max(1, videoBitrate/8/videoRate/packetSize)
	frames := make([][][]byte, videoRate)
	for i := range frames {
		frames[i] = make([][]byte, perFrame)
		for j := range frames[i] {
			frames[i][j] = syntheticVP8(packetSize, j == 0, i == 0)
		}
	}
	return &pattern{frames: frames, audio: append([]byte{0xf8, 0xff, 0xfe}, make([]byte, 77)...)}
}

func syntheticVP8(size int, start, key bool) []byte {
	p := make([]byte, size)
	if !start {
		return p
	}
	p[0] = 0x10
	if key {
		copy(p[1:], []byte{0x10, 0x00, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00})
	} else {
		copy(p[1:], []byte{0x11, 0x00, 0x00})
	}
	return p
}

type rtpWriter interface {
	WriteRTP(p *rtp.Packet) error
}

// sender paces one publisher's media like loadgen's sender: frames and audio
// on schedule, at most maxCatchUp late frames at once, a keyframe request
// restarts the video at the keyframe.
type sender struct {
	pat          *pattern
	video, audio rtpWriter
	keyframe     atomic.Bool
	sent         atomic.Uint64

	pkt                rtp.Packet
	videoSeq, audioSeq uint16
	frameNo, audioNo   uint32
	framePos           int
}

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
		frameEvery := time.Second / videoRate
		if late := int((elapsed - time.Duration(s.frameNo)*frameEvery) / frameEvery); late > maxCatchUp {
			skip := time.Duration(late) * frameEvery
			start, elapsed = start.Add(skip), elapsed-skip
		}
		for time.Duration(s.frameNo)*frameEvery <= elapsed {
			s.sendFrame()
		}
		for time.Duration(s.audioNo)*audioInterval <= elapsed {
			s.write(s.audio, s.audioSeq, s.audioNo*audioTicks, true, s.pat.audio)
			s.audioSeq++
			s.audioNo++
		}
		next := min(time.Duration(s.frameNo)*frameEvery, time.Duration(s.audioNo)*audioInterval)
		timer.Reset(next - time.Since(start))
	}
}

func (s *sender) sendFrame() {
	if s.keyframe.Swap(false) {
		s.framePos = 0
	}
	frame := s.pat.frames[s.framePos]
	ts := s.frameNo * (90000 / videoRate)
	for i, payload := range frame {
		s.write(s.video, s.videoSeq, ts, i == len(frame)-1, payload)
		s.videoSeq++
	}
	s.frameNo++
	s.framePos = (s.framePos + 1) % len(s.pat.frames)
}

func (s *sender) write(w rtpWriter, seq uint16, ts uint32, marker bool, payload []byte) {
	s.pkt.Header = rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: ts, Marker: marker}
	s.pkt.Payload = payload
	if w.WriteRTP(&s.pkt) == nil {
		s.sent.Add(1)
	}
}
