package client

import (
	"bytes"
	"testing"
)

func TestSplitRED(t *testing.T) {
	frame := func(b byte, n int) []byte { return bytes.Repeat([]byte{b}, n) }
	// Two redundant blocks (offsets 1920 and 960, 3 and 2 bytes) and a primary.
	twoBlocks := append([]byte{0x80 | 111, 0x1e, 0x00, 0x03, 0x80 | 111, 0x0f, 0x00, 0x02, 111}, append(append(frame(1, 3), frame(2, 2)...), frame(3, 4)...)...)
	tests := []struct {
		name          string
		payload       []byte
		wantErr       bool
		wantOffsets   []uint32
		wantRedundant [][]byte
		wantPrimary   []byte
	}{
		{"primary only", append([]byte{111}, frame(7, 5)...), false, nil, nil, frame(7, 5)},
		{"two redundant frames", twoBlocks, false, []uint32{1920, 960}, [][]byte{frame(1, 3), frame(2, 2)}, frame(3, 4)},
		{"empty", nil, true, nil, nil, nil},
		{"header cut short", []byte{0x80 | 111, 0x1e}, true, nil, nil, nil},
		{"block runs past the end", twoBlocks[:11], true, nil, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			redundant, primary, err := SplitRED(tc.payload)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v, want error %v", err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			if len(redundant) != len(tc.wantRedundant) {
				t.Fatalf("%d redundant frames, want %d", len(redundant), len(tc.wantRedundant))
			}
			for i, b := range redundant {
				if b.PayloadType != 111 || b.TimestampOffset != tc.wantOffsets[i] || !bytes.Equal(b.Payload, tc.wantRedundant[i]) {
					t.Errorf("frame %d: %+v, want offset %d and %v", i, b, tc.wantOffsets[i], tc.wantRedundant[i])
				}
			}
			if primary.PayloadType != 111 || !bytes.Equal(primary.Payload, tc.wantPrimary) {
				t.Errorf("primary %+v, want %v", primary, tc.wantPrimary)
			}
		})
	}
}
