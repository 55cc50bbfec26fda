package diskspace

import (
	"errors"
	"testing"
)

func TestAllowKeepsTheReserveFree(t *testing.T) {
	const mib = 1 << 20
	g := &Guard{Dir: t.TempDir(), Reserve: 100 * mib, Free: func(string) (uint64, error) { return 150 * mib, nil }}
	cases := []struct {
		name string
		n    int64
		want error
	}{
		{"fits above the reserve", 50 * mib, nil},
		{"would eat into the reserve", 50*mib + 1, ErrInsufficient},
		{"negative size", -1, ErrInsufficient},
	}
	for _, tc := range cases {
		if err := g.Allow(tc.n); !errors.Is(err, tc.want) {
			t.Errorf("%s: Allow(%d) = %v, want %v", tc.name, tc.n, err, tc.want)
		}
	}
}

func TestAvailableMeasuresTheRealVolume(t *testing.T) {
	g := New(t.TempDir(), 0)
	n, err := g.Available()
	if err != nil || n == 0 {
		t.Fatalf("Available() = %d, %v; want the free bytes of the test volume", n, err)
	}
	if err := New(t.TempDir(), ^uint64(0)).Allow(1); !errors.Is(err, ErrInsufficient) {
		t.Errorf("a reserve larger than any disk allowed a write: %v", err)
	}
}
