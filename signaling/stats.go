package signaling

import (
	"sync"
	"time"

	"cloudwindow/queue"
)

// statsInterval bounds how often wallboards are refreshed: a busy queue
// changes many times a second, a person reads it once.
const statsInterval = 500 * time.Millisecond

// statsBroadcaster coalesces queue statistics and sends the latest at most
// once per statsInterval.
type statsBroadcaster struct {
	send func(queue.Stats)

	mu      sync.Mutex
	latest  queue.Stats
	pending bool
	timer   *time.Timer
	closed  bool
}

func newStatsBroadcaster(send func(queue.Stats)) *statsBroadcaster {
	return &statsBroadcaster{send: send}
}

func (b *statsBroadcaster) update(st queue.Stats) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.latest = st
	if b.pending || b.closed {
		return
	}
	b.pending = true
	b.timer = time.AfterFunc(statsInterval, b.flush)
}

func (b *statsBroadcaster) flush() {
	b.mu.Lock()
	st := b.latest
	b.pending = false
	b.mu.Unlock()
	b.send(st)
}

// known reports whether any figures have come in yet.
func (b *statsBroadcaster) known() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.latest.Agents != nil
}

// sendTo gives a newly connected wallboard the latest figures at once.
func (b *statsBroadcaster) sendTo(sess *session) {
	b.mu.Lock()
	st := b.latest
	b.mu.Unlock()
	sess.push(TypeQueueStats, statsData(st))
}

func statsData(st queue.Stats) queueStatsData {
	data := queueStatsData{
		Waiting: st.Waiting, GreenWaiting: st.GreenWaiting, LongestWaitS: seconds(st.LongestWait),
		Agents: map[string]int{},
	}
	for state, n := range st.Agents {
		data.Agents[string(state)] = n
	}
	return data
}

func (b *statsBroadcaster) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	if b.timer != nil {
		b.timer.Stop()
	}
}
