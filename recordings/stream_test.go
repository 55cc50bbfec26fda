package recordings

import (
	"encoding/binary"
	"math/rand"
	"sort"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
)

// fakeClock is the recorder's Now in tests: packet arrival is simulated,
// not waited for.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock(t time.Time) *fakeClock {
	c := &fakeClock{}
	c.Set(t)
	return c
}

func (c *fakeClock) Now() time.Time  { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) Set(t time.Time) { c.ns.Store(t.UnixNano()) }

var (
	opusCodec = webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, PayloadType: 111}
	vp8Codec  = webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, PayloadType: 96}
)

// stream describes a synthetic party: 25 fps VP8 and 20 ms Opus frames whose
// payloads carry their capture time, so a test can check where each frame
// landed in the file.
type stream struct {
	start        time.Time     // capture of the first frames, on our clock
	length       time.Duration // how much media
	senderOffset time.Duration // the sender's NTP clock minus ours
	audioDelay   time.Duration // network path of each track
	videoDelay   time.Duration
	keyEvery     int           // video frames between keyframes
	srEvery      time.Duration // sender report interval (0: none)
	srFrom       time.Duration // first sender report after start
	noVideo      bool
}

// arrival is one thing the media path hands the sink, in arrival order.
type arrival struct {
	at    time.Time
	video bool
	pkt   *rtp.Packet
	sr    *rtcp.SenderReport
}

const (
	videoFrame = 40 * time.Millisecond
	audioFrame = 20 * time.Millisecond
	videoTS0   = 1_000_000
	audioTS0   = 4_000_000_000 // wraps around during long streams
)

func (s stream) arrivals() []arrival {
	var out []arrival
	if !s.noVideo {
		out = append(out, s.videoPackets()...)
	}
	out = append(out, s.audioPackets()...)
	out = append(out, s.senderReports()...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].at.Before(out[j].at) })
	return out
}

func (s stream) videoPackets() []arrival {
	var out []arrival
	pay := &codecs.VP8Payloader{EnablePictureID: true}
	seq := uint16(60000) // wraps too
	for i := 0; time.Duration(i)*videoFrame < s.length; i++ {
		capture := time.Duration(i) * videoFrame
		frame := vp8Frame(i%s.keyEvery == 0, capture)
		payloads := pay.Payload(1200, frame)
		for k, p := range payloads {
			pkt := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: seq, SSRC: 2,
				Timestamp: uint32(videoTS0 + i*3600), Marker: k == len(payloads)-1}, Payload: p}
			seq++
			out = append(out, arrival{at: s.start.Add(capture + s.videoDelay + time.Duration(k)*time.Millisecond), video: true, pkt: pkt})
		}
	}
	return out
}

func (s stream) audioPackets() []arrival {
	var out []arrival
	for j := 0; time.Duration(j)*audioFrame < s.length; j++ {
		capture := time.Duration(j) * audioFrame
		payload := make([]byte, 60)
		payload[0] = 0x78
		binary.BigEndian.PutUint64(payload[1:], uint64(capture.Milliseconds()))
		pkt := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 111, SequenceNumber: uint16(j + 100), SSRC: 1,
			Timestamp: uint32(audioTS0 + uint64(j)*960), Marker: j == 0}, Payload: payload}
		out = append(out, arrival{at: s.start.Add(capture + s.audioDelay), pkt: pkt})
	}
	return out
}

func (s stream) senderReports() []arrival {
	if s.srEvery == 0 {
		return nil
	}
	var out []arrival
	for c := s.srFrom; c < s.length; c += s.srEvery {
		ntp := toNTP(s.start.Add(c + s.senderOffset))
		out = append(out, arrival{at: s.start.Add(c + s.audioDelay), sr: &rtcp.SenderReport{SSRC: 1, NTPTime: ntp,
			RTPTime: uint32(audioTS0 + uint64(c)*48000/uint64(time.Second))}})
		if !s.noVideo {
			out = append(out, arrival{at: s.start.Add(c + s.videoDelay), video: true, sr: &rtcp.SenderReport{SSRC: 2, NTPTime: ntp,
				RTPTime: uint32(videoTS0 + uint64(c)*90000/uint64(time.Second))}})
		}
	}
	return out
}

func toNTP(t time.Time) uint64 {
	secs := uint64(t.Unix() + ntpEpochOffset)
	frac := uint64(t.Nanosecond()) << 32 / uint64(time.Second)
	return secs<<32 | frac
}

// vp8Frame is a frame a VP8 parser accepts as far as the container cares:
// a frame tag, and on keyframes the start code and a 640x480 size. The
// capture time follows at byte 10.
func vp8Frame(key bool, capture time.Duration) []byte {
	size := 800
	if key {
		size = 3000
	}
	f := make([]byte, size)
	if key {
		copy(f, []byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01})
	} else {
		f[0] = 0x11
	}
	binary.BigEndian.PutUint64(f[10:], uint64(capture.Milliseconds()))
	for i := 18; i < size; i++ {
		f[i] = byte(i)
	}
	return f
}

// captureOf reads the capture time a synthetic frame carries.
func captureOf(video bool, frame []byte) time.Duration {
	if video {
		return time.Duration(binary.BigEndian.Uint64(frame[10:])) * time.Millisecond
	}
	return time.Duration(binary.BigEndian.Uint64(frame[1:])) * time.Millisecond
}

// disorder swaps neighbouring packets and drops some, like a lossy link.
func disorder(in []arrival, seed int64, swapEvery, dropPercent int) []arrival {
	r := rand.New(rand.NewSource(seed))
	out := make([]arrival, 0, len(in))
	for _, a := range in {
		if a.pkt != nil && r.Intn(100) < dropPercent {
			continue
		}
		out = append(out, a)
	}
	for i := 1; i < len(out); i++ {
		if r.Intn(swapEvery) == 0 && out[i].pkt != nil && out[i-1].pkt != nil {
			out[i], out[i-1] = out[i-1], out[i]
		}
	}
	return out
}

// padded puts n padding-only packets after every 5th video frame, as a sender
// without RTX probes its link: no payload, the frame's timestamp, and sequence
// numbers of their own, so the video packets after them are renumbered. It
// returns how many it added.
func padded(in []arrival, n int) ([]arrival, int) {
	out := make([]arrival, 0, len(in))
	var shift uint16
	frames, added := 0, 0
	for _, a := range in {
		if !a.video || a.pkt == nil {
			out = append(out, a)
			continue
		}
		p := *a.pkt
		p.SequenceNumber += shift
		out = append(out, arrival{at: a.at, video: true, pkt: &p})
		if !p.Marker {
			continue
		}
		if frames++; frames%5 != 0 {
			continue
		}
		for i := range n {
			pad := p
			pad.Header.Marker, pad.Header.Padding, pad.Header.PaddingSize = false, true, 255
			pad.SequenceNumber += uint16(i + 1)
			pad.Payload = nil
			out = append(out, arrival{at: a.at, video: true, pkt: &pad})
		}
		added += n
		shift += uint16(n)
	}
	return out, added
}
