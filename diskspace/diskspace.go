// Package diskspace watches the free space of the data directory's volume
// and keeps a reserve that uploads may not eat into, so that recordings
// and the database keep their room when a station sends too much.
package diskspace

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// DefaultReserve is the free space kept for recordings and the store.
const DefaultReserve = 1 << 30

// ErrInsufficient means a write would leave less than the reserve free.
var ErrInsufficient = errors.New("not enough free disk space")

// Guard answers how much room the volume of Dir has, and whether a write
// of some size still leaves Reserve bytes free.
type Guard struct {
	Dir     string
	Reserve uint64
	// Free measures the bytes available to this process on Dir's volume;
	// nil uses statfs. Tests replace it to simulate a full disk.
	Free func(dir string) (uint64, error)
}

// New returns a Guard of dir keeping reserve bytes free.
func New(dir string, reserve uint64) *Guard {
	return &Guard{Dir: dir, Reserve: reserve}
}

// Available returns the bytes free to this process on the volume.
func (g *Guard) Available() (uint64, error) {
	free := g.Free
	if free == nil {
		free = statfsFree
	}
	n, err := free(g.Dir)
	if err != nil {
		return 0, fmt.Errorf("free space of %s: %w", g.Dir, err)
	}
	return n, nil
}

// Allow reports whether n more bytes can be written while keeping the
// reserve free; ErrInsufficient when not.
func (g *Guard) Allow(n int64) error {
	free, err := g.Available()
	if err != nil {
		return err
	}
	if n < 0 || free < g.Reserve || free-g.Reserve < uint64(n) {
		return fmt.Errorf("%d bytes wanted, %d free, %d reserved: %w", n, free, g.Reserve, ErrInsufficient)
	}
	return nil
}

// statfsFree is the space an unprivileged writer may use (Bavail, not
// Bfree: the root-only blocks are no help to a full volume).
func statfsFree(dir string) (uint64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return st.Bavail * uint64(st.Bsize), nil
}
