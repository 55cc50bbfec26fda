package recordings

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// Failure codes: what the index, the review API and the call's agent are
// told when recording fails. The error itself, with paths and system
// detail, goes to the log only.
const (
	FailureDiskFull   = "disk_full"
	FailurePermission = "permission_denied"
	FailureWrite      = "write_failed"
	FailureMuxer      = "muxer_error"
	FailureRepair     = "repair_failed"
)

// Defaults for Config.
const (
	DefaultRetryInterval = 5 * time.Second
	DefaultMinFree       = 64 << 20
)

var errMuxer = errors.New("muxer error")

// failureCode names the cause of a recording error.
func failureCode(err error) string {
	switch {
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return FailureDiskFull
	case errors.Is(err, fs.ErrPermission):
		return FailurePermission
	case errors.Is(err, errMuxer):
		return FailureMuxer
	default:
		return FailureWrite
	}
}

// StatusChange tells that a call's recording stopped (a file failed) or
// runs again (every failed party records into a new part).
type StatusChange struct {
	CallID    string
	Recording bool
	Code      string // a Failure code when not recording
}

// Unavailable tells why a call starting now could not be recorded, as a
// failure code; empty when it can. Signaling asks before a call starts.
func (rec *Recorder) Unavailable() string {
	day := filepath.Join(rec.dir, filepath.FromSlash(rec.now().Format("2006/01/02")))
	if err := os.MkdirAll(day, 0o750); err != nil {
		rec.log.Error("recordings directory unusable", "err", err)
		return failureCode(err)
	}
	if !rec.hasRoom() {
		return FailureDiskFull
	}
	return ""
}

// hasRoom reports whether the volume has MinFree bytes free; without a
// way to measure, it is assumed to.
func (rec *Recorder) hasRoom() bool {
	if rec.cfg.FreeSpace == nil {
		return true
	}
	free, err := rec.cfg.FreeSpace()
	if err != nil {
		rec.log.Warn("measure free space for recordings", "err", err)
		return true // the next write tells
	}
	return free >= rec.cfg.MinFree
}

// fail stops writing this group after a muxer or disk error: the open
// file is finished as far as it got, the call is told, and a new part is
// tried once RetryInterval has passed and there is room again. The call
// itself goes on.
func (f *fileWriter) fail(err error) {
	code := failureCode(err)
	f.log.Error("recording failed", "err", err, "code", code)
	f.failure = code
	f.retryAt = f.mediaNow + int64(f.rec.cfg.RetryInterval)
	f.rearmed = false
	f.timeline.preroll = nil
	if f.out != nil {
		f.salvage(code)
	}
	if !f.down {
		f.down = true
		f.rec.metrics.failed.Inc()
		f.call.groupDown(f.group, code)
	}
}

// recovered is called whenever a part starts, after a failure or not:
// a call whose recording could not be expected to start hears that it did.
func (f *fileWriter) recovered() {
	if f.down {
		f.down = false
		f.log.Info("recording resumed", "part", f.part)
	}
	f.call.groupUp(f.group)
}

// retryDue reports whether a failed group may try a new part now. It
// asks for keyframes once, so that the new part starts soon.
func (f *fileWriter) retryDue() bool {
	if f.mediaNow < f.retryAt {
		return false
	}
	if !f.rec.hasRoom() {
		f.retryAt = f.mediaNow + int64(f.rec.cfg.RetryInterval)
		return false
	}
	if !f.rearmed {
		f.rearmed = true
		now := f.rec.now()
		for _, t := range f.tracks {
			if t.video() && !t.gone {
				t.requestKeyframe(now)
			}
		}
	}
	return true
}

// salvage finishes the open file after a write error, so what was
// recorded plays and seeks: the torn cluster was cut off by the muxer,
// Cues and Duration are written, and the file is indexed as failed with
// its real length. If even that fails, the file keeps what reached the
// disk and is marked failed.
func (f *fileWriter) salvage(code string) {
	p := f.out
	f.out = nil
	f.part++
	f.rec.metrics.active.Dec()
	err := guard(func() error { return p.mux.finish(0) })
	if cerr := p.f.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err == nil {
		err = p.row.complete(f.rec.dir, p.mux.durationMs(), StatusFailed)
	}
	if err != nil {
		f.log.Warn("finish recording file after a failure", "file", p.row.Path, "err", err)
		p.markFailed(code)
	}
	p.row.Error = code
	f.call.indexFile(p.row)
}
