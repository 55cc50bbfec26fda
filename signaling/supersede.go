package signaling

import "sync"

// frame is one message queued for a conn's write loop. A frame sent with a
// key (conn.sendLatest) stays open until the write loop takes it: a newer
// message with the same key replaces its content instead of queueing behind
// it. A burst of queue positions (a hundred calls starting at once moves
// every waiting station a hundred times) then costs each station one queue
// slot, and a client the node cannot write to fast enough for a moment keeps
// its connection.
type frame struct {
	mu    sync.Mutex
	b     []byte
	taken bool
}

// take hands the frame's latest content to the write loop and closes it.
func (f *frame) take() []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.taken = true
	return f.b
}

// replace puts b in place of the frame's content unless it was taken.
func (f *frame) replace(b []byte) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.taken {
		return false
	}
	f.b = b
	return true
}

// latestFrames are a conn's open keyed frames.
type latestFrames struct {
	mu     sync.Mutex
	frames map[string]*frame
}

// replace puts b into the open frame under key and reports whether there
// was one; if not, it opens f under key.
func (l *latestFrames) replace(key string, b []byte, f *frame) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if open := l.frames[key]; open != nil && open.replace(b) {
		return true
	}
	if l.frames == nil {
		l.frames = map[string]*frame{}
	}
	l.frames[key] = f
	return false
}

// forget drops f once it is taken, so the map does not keep every key ever used.
func (l *latestFrames) forget(key string, f *frame) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.frames[key] == f {
		delete(l.frames, key)
	}
}
