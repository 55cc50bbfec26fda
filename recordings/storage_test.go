package recordings

import "testing"

func TestLastByteOfARange(t *testing.T) {
	for header, want := range map[string]int64{
		"":                 -1,
		"bytes=0-1023":     1023,
		"bytes=500-":       -1, // to the end
		"bytes=-500":       -1, // the last 500: to the end
		"bytes=0-9,20-29":  -1, // several: read on
		"bytes=10-x":       -1,
		"items=0-9":        -1,
		"bytes= 100 - 200": -1,
	} {
		if got := lastByte(header); got != want {
			t.Errorf("lastByte(%q) = %d, want %d", header, got, want)
		}
	}
}
