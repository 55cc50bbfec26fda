package recordings

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// bitWriter builds bitstream headers for tests.
type bitWriter struct {
	b []byte
	n int
}

func (w *bitWriter) put(v uint64, bits int) {
	for i := bits - 1; i >= 0; i-- {
		if w.n%8 == 0 {
			w.b = append(w.b, 0)
		}
		w.b[len(w.b)-1] |= byte(v>>i&1) << (7 - w.n%8)
		w.n++
	}
}

func (w *bitWriter) ue(v uint64) {
	v++
	bits := 0
	for x := v; x > 1; x >>= 1 {
		bits++
	}
	w.put(0, bits)
	w.put(v, bits+1)
}

// testSPS encodes an SPS for a picture of mbsW×mbsH macroblocks, cropped
// at the bottom by cropBottom chroma rows.
func testSPS(profile uint64, mbsW, mbsH, cropBottom uint64) []byte {
	w := &bitWriter{}
	w.put(0x67, 8) // NAL header: SPS
	w.put(profile, 8)
	w.put(0, 8)  // constraint flags
	w.put(31, 8) // level
	w.ue(0)      // sps id
	if highProfile(profile) {
		w.ue(1)     // 4:2:0
		w.ue(0)     // luma bit depth - 8
		w.ue(0)     // chroma bit depth - 8
		w.put(0, 1) // qpprime
		w.put(0, 1) // no scaling matrix
	}
	w.ue(0)     // log2_max_frame_num - 4
	w.ue(2)     // poc type 2
	w.ue(1)     // max ref frames
	w.put(0, 1) // gaps
	w.ue(mbsW - 1)
	w.ue(mbsH - 1)
	w.put(1, 1) // frame_mbs_only
	w.put(1, 1) // direct_8x8
	if cropBottom > 0 {
		w.put(1, 1)
		w.ue(0)
		w.ue(0)
		w.ue(0)
		w.ue(cropBottom)
	} else {
		w.put(0, 1)
	}
	w.put(0, 1) // no VUI
	w.put(1, 1) // stop bit
	return w.b
}

func avcFrame(nals ...[]byte) []byte {
	var f []byte
	for _, n := range nals {
		f = binary.BigEndian.AppendUint32(f, uint32(len(n)))
		f = append(f, n...)
	}
	return f
}

func vp9Keyframe(width, height uint64) []byte {
	w := &bitWriter{}
	w.put(0b10, 2) // frame marker
	w.put(0, 2)    // profile 0
	w.put(0, 1)    // show_existing_frame
	w.put(0, 1)    // key frame
	w.put(1, 1)    // show_frame
	w.put(0, 1)    // error_resilient
	w.put(0x498342, 24)
	w.put(1, 3) // color space BT.601
	w.put(0, 1) // color range
	w.put(width-1, 16)
	w.put(height-1, 16)
	return append(w.b, make([]byte, 16)...)
}

func TestCodecsFindKeyframesAndPictureSize(t *testing.T) {
	sps720 := testSPS(66, 80, 45, 0)
	sps1080 := testSPS(100, 120, 68, 4) // 1088 rows cropped by 8 to 1080
	pps := []byte{0x68, 0xce, 0x38, 0x80}
	idr := []byte{0x65, 0x88, 0x84}
	vp9Inter := []byte{0b10000100, 0, 0, 0, 0}
	cases := []struct {
		name   string
		mime   string
		frame  []byte
		key    bool
		w, h   uint64
		config []byte
	}{
		{"VP8 keyframe", "video/VP8", vp8Frame(true, 0), true, 640, 480, nil},
		{"VP8 delta", "video/VP8", vp8Frame(false, 0), false, 0, 0, nil},
		{"VP8 truncated", "video/VP8", []byte{0x10, 0x02}, false, 0, 0, nil},
		{"VP9 keyframe", "video/VP9", vp9Keyframe(1280, 720), true, 1280, 720, nil},
		{"VP9 inter frame", "video/VP9", vp9Inter, false, 0, 0, nil},
		{"H.264 IDR with parameter sets", "video/H264", avcFrame(sps720, pps, idr), true, 1280, 720, avcConfig(sps720, pps)},
		{"H.264 high profile, cropped", "video/H264", avcFrame(sps1080, pps, idr), true, 1920, 1080, avcConfig(sps1080, pps)},
		{"H.264 IDR without SPS", "video/H264", avcFrame(pps, idr), false, 0, 0, nil},
		{"H.264 non-IDR", "video/H264", avcFrame([]byte{0x41, 0x9a}), false, 0, 0, nil},
		{"H.264 bad length", "video/H264", []byte{0, 0, 0, 99, 0x65}, false, 0, 0, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, ok := codecFor(tc.mime)
			if !ok {
				t.Fatalf("%s not supported", tc.mime)
			}
			got := c.inspect(tc.frame)
			if got.key != tc.key || got.width != tc.w || got.height != tc.h || !bytes.Equal(got.codecPrivate, tc.config) {
				t.Errorf("inspect = %+v, want key %v %dx%d", got, tc.key, tc.w, tc.h)
			}
		})
	}
	if _, ok := codecFor("video/AV1"); ok {
		t.Error("AV1 claims to be recordable")
	}
}

func TestAVCConfigRecord(t *testing.T) {
	sps, pps := testSPS(66, 40, 30, 0), []byte{0x68, 0xce}
	c := avcConfig(sps, pps)
	if c[0] != 1 || c[1] != 66 || c[4] != 0xff || c[5] != 0xe1 {
		t.Fatalf("header = % x", c[:6])
	}
	if n := binary.BigEndian.Uint16(c[6:]); int(n) != len(sps) || !bytes.Equal(c[8:8+n], sps) {
		t.Fatal("SPS not carried")
	}
	rest := c[8+len(sps):]
	if rest[0] != 1 || !bytes.Equal(rest[3:], pps) {
		t.Fatalf("PPS not carried: % x", rest)
	}
}
