package queue

import "time"

// statsKey is what makes the wallboard change. The longest wait grows by
// itself; only a different oldest request counts as a change.
type statsKey struct {
	waiting, green int
	oldest         uint64          // seq of the oldest waiting request
	agents         [stateCount]int // indexed like allAgentStates
}

const stateCount = 5

func allAgentStates() [stateCount]AgentState {
	return [...]AgentState{Offline, Ready, NotReady, Busy, WrapUp}
}

func (q *Local) currentStatsKey() statsKey {
	var k statsKey
	k.waiting = len(q.waiting)
	if k.waiting > 0 {
		k.oldest = q.waiting[0].seq
	}
	for _, w := range q.waiting {
		if w.req.Green {
			k.green++
		}
	}
	states := allAgentStates()
	for _, a := range q.agents {
		for i, s := range states {
			if a.state == s {
				k.agents[i]++
			}
		}
	}
	return k
}

func (q *Local) publishStats(now time.Time) {
	k := q.currentStatsKey()
	if k == q.lastStats {
		return
	}
	q.lastStats = k
	q.events.add(event{kind: evStats, stats: q.statsFrom(k, now)})
}

func (q *Local) stats(now time.Time) Stats { return q.statsFrom(q.currentStatsKey(), now) }

func (q *Local) statsFrom(k statsKey, now time.Time) Stats {
	s := Stats{Waiting: k.waiting, GreenWaiting: k.green, Agents: make(map[AgentState]int, stateCount)}
	if k.waiting > 0 {
		s.LongestWait = now.Sub(q.waiting[0].req.EnqueuedAt)
	}
	for i, st := range allAgentStates() {
		s.Agents[st] = k.agents[i]
	}
	return s
}
