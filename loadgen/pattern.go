package loadgen

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4/pkg/media/ivfreader"
	"github.com/pion/webrtc/v4/pkg/media/oggreader"
)

// The clip is small and embedded so the generator runs from any directory;
// testdata/README.md says how it was made.
var (
	//go:embed testdata/clip.ivf
	clipIVF []byte
	//go:embed testdata/clip.ogg
	clipOgg []byte
)

// RTP packetization limits, as a browser uses them.
const (
	maxRTPPayload = 1200
	audioInterval = 20 * time.Millisecond
	audioTicks    = 960 // 20 ms at 48 kHz
	videoRate     = 30  // frames per second
)

// pattern is what one party sends, prepared once and shared read-only by
// every sender: video frames already cut into RTP payloads (frame 0 is a
// keyframe) and 20 ms audio payloads.
type pattern struct {
	frames     [][][]byte
	frameEvery time.Duration
	frameTicks uint32 // 90 kHz timestamp step per frame
	audio      [][]byte
}

// packetsPerSecond is the pattern's average packet rate, video plus audio.
func (p *pattern) packetsPerSecond() float64 {
	n := 0
	for _, f := range p.frames {
		n += len(f)
	}
	video := float64(n) / float64(len(p.frames)) / p.frameEvery.Seconds()
	return video + float64(time.Second/audioInterval)
}

// bitsPerSecond is the pattern's average payload bit rate, video plus audio.
func (p *pattern) bitsPerSecond() float64 {
	var video, audio int
	for _, f := range p.frames {
		for _, pkt := range f {
			video += len(pkt)
		}
	}
	for _, a := range p.audio {
		audio += len(a)
	}
	v := float64(video*8) / (float64(len(p.frames)) * p.frameEvery.Seconds())
	a := float64(audio*8) / (float64(len(p.audio)) * audioInterval.Seconds())
	return v + a
}

// clipPattern reads the embedded VP8 and Opus clip.
func clipPattern() (*pattern, error) {
	frames, err := readIVF(clipIVF)
	if err != nil {
		return nil, fmt.Errorf("read clip video: %w", err)
	}
	audio, err := readOgg(clipOgg)
	if err != nil {
		return nil, fmt.Errorf("read clip audio: %w", err)
	}
	return &pattern{frames: frames, frameEvery: time.Second / videoRate, frameTicks: 90000 / videoRate, audio: audio}, nil
}

func readIVF(b []byte) ([][][]byte, error) {
	r, _, err := ivfreader.NewWith(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	var vp8 codecs.VP8Payloader
	var frames [][][]byte
	for {
		frame, _, err := r.ParseNextFrame()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		frames = append(frames, vp8.Payload(maxRTPPayload, frame))
	}
	if len(frames) == 0 || !isVP8Keyframe(frames[0][0]) {
		return nil, errors.New("the clip must start with a VP8 keyframe")
	}
	return frames, nil
}

// isVP8Keyframe reads the first payload of a frame (one-byte descriptor).
func isVP8Keyframe(payload []byte) bool {
	return len(payload) > 1 && payload[1]&0x01 == 0
}

func readOgg(b []byte) ([][]byte, error) {
	r, _, err := oggreader.NewWith(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	var packets [][]byte
	for {
		page, hdr, err := r.ParseNextPage()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if _, isHeader := hdr.HeaderType(page); isHeader || len(page) == 0 {
			continue // OpusHead and OpusTags are not audio
		}
		packets = append(packets, page)
	}
	if len(packets) == 0 {
		return nil, errors.New("the clip has no audio packets")
	}
	return packets, nil
}

// syntheticPattern sends videoBitrate in packetSize-byte VP8 packets at 30
// frames per second (the first packet of each frame carries a VP8 header,
// frame 0 a keyframe header) and 20 ms Opus-sized audio. The payloads are
// not decodable pictures: this pattern measures forwarding, not codecs.
func syntheticPattern(videoBitrate, packetSize int) *pattern {
	perFrame := max(1, videoBitrate/8/videoRate/packetSize)
	frames := make([][][]byte, videoRate)
	for i := range frames {
		frame := make([][]byte, perFrame)
		for j := range frame {
			frame[j] = syntheticVP8(packetSize, j == 0, i == 0)
		}
		frames[i] = frame
	}
	audio := make([][]byte, 50)
	for i := range audio {
		audio[i] = append([]byte{0xf8, 0xff, 0xfe}, make([]byte, 77)...) // silent Opus frame, padded to 80 bytes
	}
	return &pattern{frames: frames, frameEvery: time.Second / videoRate, frameTicks: 90000 / videoRate, audio: audio}
}

func syntheticVP8(size int, start, key bool) []byte {
	p := make([]byte, size)
	if !start {
		return p // descriptor 0x00: continuation of the partition
	}
	p[0] = 0x10 // descriptor: start of partition 0
	if key {
		// Frame tag (key frame, show frame), start code, 320×240.
		copy(p[1:], []byte{0x10, 0x00, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00})
	} else {
		copy(p[1:], []byte{0x11, 0x00, 0x00})
	}
	return p
}

// rtpHeaderSize is the size of the fixed RTP header the senders use.
const rtpHeaderSize = 12
