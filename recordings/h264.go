package recordings

import (
	"encoding/binary"
	"errors"
)

// H.264 frames come from the depacketizer as 4-byte length-prefixed NAL
// units (the "AVC" layout Matroska stores). Only what the container needs
// is parsed: whether the frame is an IDR, and from its SPS the picture
// size and the avcC decoder configuration.

const (
	nalIDR = 5
	nalSPS = 7
	nalPPS = 8
)

func inspectH264(frame []byte) frameInfo {
	var sps, pps []byte
	idr := false
	for len(frame) >= 4 {
		n := int(binary.BigEndian.Uint32(frame))
		if n == 0 || n > len(frame)-4 {
			break
		}
		nal := frame[4 : 4+n]
		switch nal[0] & 0x1f {
		case nalIDR:
			idr = true
		case nalSPS:
			sps = nal
		case nalPPS:
			pps = nal
		}
		frame = frame[4+n:]
	}
	if !idr || sps == nil || pps == nil {
		// Without parameter sets in the same frame a decoder can't start here.
		return frameInfo{}
	}
	w, h, err := spsPictureSize(sps)
	if err != nil {
		return frameInfo{}
	}
	return frameInfo{key: true, width: w, height: h, codecPrivate: avcConfig(sps, pps)}
}

// avcConfig builds an AVCDecoderConfigurationRecord (ISO 14496-15 §5.2.4.1)
// with 4-byte NAL lengths.
func avcConfig(sps, pps []byte) []byte {
	b := []byte{1, sps[1], sps[2], sps[3], 0xff, 0xe1}
	b = binary.BigEndian.AppendUint16(b, uint16(len(sps)))
	b = append(b, sps...)
	b = append(b, 1)
	b = binary.BigEndian.AppendUint16(b, uint16(len(pps)))
	return append(b, pps...)
}

var errShortSPS = errors.New("SPS too short")

// spsPictureSize decodes the cropped picture size from an SPS (H.264 §7.3.2.1.1).
func spsPictureSize(nal []byte) (width, height uint64, err error) {
	if len(nal) < 4 {
		return 0, 0, errShortSPS
	}
	r := bitReader{b: unescapeRBSP(nal[1:])}
	profile := r.bits(8)
	r.bits(16) // constraint flags, level
	r.ue()     // seq_parameter_set_id
	chroma := uint64(1)
	if highProfile(profile) {
		chroma = readChromaFormat(&r)
	}
	r.ue() // log2_max_frame_num_minus4
	skipPicOrderCount(&r)
	r.ue()    // max_num_ref_frames
	r.bits(1) // gaps_in_frame_num_value_allowed_flag
	mbsW, mapUnitsH := r.ue()+1, r.ue()+1
	frameMbsOnly := r.bits(1)
	if frameMbsOnly == 0 {
		r.bits(1) // mb_adaptive_frame_field_flag
	}
	r.bits(1) // direct_8x8_inference_flag
	width, height = mbsW*16, (2-frameMbsOnly)*mapUnitsH*16
	if r.bits(1) == 1 { // frame_cropping_flag
		cropX, cropY := uint64(2), 2*(2-frameMbsOnly)
		if chroma == 0 || chroma == 3 {
			cropX, cropY = 1, 2-frameMbsOnly
		}
		left, right, top, bottom := r.ue(), r.ue(), r.ue(), r.ue()
		width -= cropX * (left + right)
		height -= cropY * (top + bottom)
	}
	if r.err != nil || width == 0 || height == 0 || width > 16384 || height > 16384 {
		return 0, 0, errors.Join(errShortSPS, r.err)
	}
	return width, height, nil
}

// readChromaFormat reads the high profiles' extra fields, returning
// chroma_format_idc.
func readChromaFormat(r *bitReader) uint64 {
	chroma := r.ue()
	if chroma == 3 {
		r.bits(1) // separate_colour_plane_flag
	}
	r.ue()    // bit_depth_luma_minus8
	r.ue()    // bit_depth_chroma_minus8
	r.bits(1) // qpprime_y_zero_transform_bypass_flag
	if r.bits(1) == 1 {
		skipScalingLists(r, chroma) // seq_scaling_matrix_present_flag
	}
	return chroma
}

func skipPicOrderCount(r *bitReader) {
	switch r.ue() { // pic_order_cnt_type
	case 0:
		r.ue() // log2_max_pic_order_cnt_lsb_minus4
	case 1:
		r.bits(1) // delta_pic_order_always_zero_flag
		r.se()    // offset_for_non_ref_pic
		r.se()    // offset_for_top_to_bottom_field
		for n := r.ue(); n > 0 && r.err == nil; n-- {
			r.se()
		}
	}
}

func highProfile(p uint64) bool {
	switch p {
	case 100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135:
		return true
	}
	return false
}

func skipScalingLists(r *bitReader, chroma uint64) {
	n := 8
	if chroma == 3 {
		n = 12
	}
	for i := 0; i < n && r.err == nil; i++ {
		if r.bits(1) == 0 {
			continue
		}
		size := 16
		if i >= 6 {
			size = 64
		}
		last, next := int64(8), int64(8)
		for j := 0; j < size && next != 0; j++ {
			next = (last + r.se() + 256) % 256
			if next != 0 {
				last = next
			}
		}
	}
}

// unescapeRBSP removes emulation-prevention bytes (00 00 03 → 00 00).
func unescapeRBSP(b []byte) []byte {
	out := make([]byte, 0, len(b))
	zeros := 0
	for _, c := range b {
		if zeros >= 2 && c == 3 {
			zeros = 0
			continue
		}
		if c == 0 {
			zeros++
		} else {
			zeros = 0
		}
		out = append(out, c)
	}
	return out
}

// bitReader reads big-endian bit fields and Exp-Golomb codes; after the
// first overrun it returns zeros and keeps err.
type bitReader struct {
	b   []byte
	pos int
	err error
}

func (r *bitReader) bits(n int) uint64 {
	var v uint64
	for i := 0; i < n; i++ {
		if r.pos >= len(r.b)*8 {
			r.err = errShortSPS
			return 0
		}
		v = v<<1 | uint64(r.b[r.pos/8]>>(7-r.pos%8)&1)
		r.pos++
	}
	return v
}

func (r *bitReader) ue() uint64 {
	zeros := 0
	for r.bits(1) == 0 && r.err == nil {
		if zeros++; zeros > 31 {
			r.err = errShortSPS
			return 0
		}
	}
	return 1<<zeros - 1 + r.bits(zeros)
}

func (r *bitReader) se() int64 {
	v := r.ue()
	if v&1 == 1 {
		return int64(v+1) / 2
	}
	return -int64(v / 2)
}
