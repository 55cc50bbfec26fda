package recordings

import (
	"os"
	"sync"
	"syscall"
	"testing"
	"time"
)

// volume is a disk with little room, shared by its files: a write past
// the free space fails with ENOSPC, and cutting a file frees its bytes.
type volume struct {
	mu   sync.Mutex
	free int64
}

func (v *volume) add(n int64) { v.mu.Lock(); v.free += n; v.mu.Unlock() }

func (v *volume) Free() (uint64, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return uint64(max(0, v.free)), nil
}

func (v *volume) open(path string) (recordingFile, error) {
	f, err := createFile(path)
	if err != nil {
		return nil, err
	}
	return &volumeFile{File: f.(*os.File), v: v}, nil
}

type volumeFile struct {
	*os.File
	v    *volume
	size int64
}

func (f *volumeFile) WriteAt(b []byte, off int64) (int, error) {
	f.v.mu.Lock()
	defer f.v.mu.Unlock()
	grow := max(0, off+int64(len(b))-f.size)
	if grow > f.v.free {
		n := int(max(0, int64(len(b))-(grow-f.v.free)))
		f.File.WriteAt(b[:n], off)
		f.size, f.v.free = max(f.size, off+int64(n)), f.v.free-max(0, off+int64(n)-f.size)
		return n, syscall.ENOSPC
	}
	f.v.free -= grow
	f.size += grow
	return f.File.WriteAt(b, off)
}

func (f *volumeFile) Truncate(n int64) error {
	f.v.mu.Lock()
	if n < f.size {
		f.v.free += f.size - n
		f.size = n
	}
	f.v.mu.Unlock()
	return f.File.Truncate(n)
}

func TestDiskFullMidCallFinishesThePartAndResumesWhenSpaceReturns(t *testing.T) {
	vol := &volume{free: 60_000}
	changes := make(chan StatusChange, 10)
	tr := newTestRecorder(t, testSQLite(t), t.TempDir(), func(c *Config) {
		c.FreeSpace, c.MinFree, c.RetryInterval = vol.Free, 20_000, time.Second
		c.OnStatus = func(ch StatusChange) { changes <- ch }
	})
	tr.queueLen = 1 << 15
	tr.openFile = vol.open
	st := stream{start: tr.clock.Now(), length: 12 * time.Second, keyEvery: 25, srEvery: time.Second}
	var before, after []arrival
	for _, a := range st.arrivals() {
		if a.at.Sub(st.start) < 6*time.Second {
			before = append(before, a)
		} else {
			after = append(after, a)
		}
	}
	p := tr.join(t, testCall, "station", true)
	tr.feed(p, before)
	if ch := nextChange(t, changes); !ch.Recording {
		t.Fatalf("first status change = %+v, want recording as the file starts", ch)
	}
	if ch := nextChange(t, changes); ch.Recording || ch.Code != FailureDiskFull || ch.CallID != testCall.ID {
		t.Fatalf("status change = %+v, want not recording: disk_full", ch)
	}
	vol.add(1 << 30) // the operator makes room
	tr.feed(p, after)
	if ch := nextChange(t, changes); !ch.Recording {
		t.Fatalf("status change = %+v, want recording again", ch)
	}
	p.close()
	tr.wait(t, testCall.ID)

	files := tr.files(t, testCall.ID)
	if len(files) != 2 {
		t.Fatalf("files = %+v, want the part cut short and a new one", files)
	}
	cut, next := files[0], files[1]
	if cut.Status != StatusFailed || cut.Error != FailureDiskFull || next.Status != StatusFinished || next.Part <= cut.Part {
		t.Fatalf("parts = %+v / %+v, want failed disk_full then finished", cut, next)
	}
	for _, f := range []File{cut, next} {
		pf := parseFile(t, tr.pathOf(f))
		if pf.segment.Cues == nil || len(pf.segment.Cues.CuePoint) == 0 {
			t.Errorf("part %d has no Cues: players can't seek it", f.Part)
		}
		assertSeekHeadFindsCues(t, pf)
		last := pf.blocks[len(pf.blocks)-1].at
		if d := pf.segment.Info.Duration; d <= 0 || d < float64(last.Milliseconds()) || f.DurationMs != int64(d) {
			t.Errorf("part %d: Duration %.0f ms, index %d ms, last frame at %v", f.Part, d, f.DurationMs, last)
		}
		if !pf.blocks[0].key {
			t.Errorf("part %d does not start on a keyframe", f.Part)
		}
	}
	if !next.StartedAt.After(cut.EndedAt) || next.DurationMs < 4000 {
		t.Errorf("new part %v–%d ms after the cut one ending %v: want the rest of the call", next.StartedAt, next.DurationMs, cut.EndedAt)
	}
}

func nextChange(t *testing.T, ch <-chan StatusChange) StatusChange {
	t.Helper()
	select {
	case c := <-ch:
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("no recording status change")
		return StatusChange{}
	}
}
