package queue

import "time"

// publishPositions updates each waiting request's position and estimate,
// pushing to its station those that changed.
func (q *Local) publishPositions(order []*waiting) {
	q.countServers()
	average := q.handle.average()
	for i, w := range order {
		pos := Position{
			RequestID:     w.req.ID,
			Position:      i + 1,
			EstimatedWait: estimateWait(i+1, w.group.servers, average),
		}
		if pos == w.lastPos {
			continue
		}
		w.lastPos = pos
		q.events.add(event{kind: evPosition, stationID: w.req.StationID, position: pos})
	}
}

// estimateWait is how long the request at position (1-based, in the whole
// queue) should expect to wait:
//
//	EstimatedWait = position × average handle time ÷ servers
//
// where servers counts the agents who can serve the request's skill group (by
// skill or as generalists) and are ready, busy or wrapping up. With nobody
// working who can serve it, the estimate is as if one agent were, so the station
// always has a figure to show. The result is rounded to the second so that
// tiny changes in the average do not push a new position to the station.
func estimateWait(position, servers int, average time.Duration) time.Duration {
	servers = max(servers, 1)
	wait := average * time.Duration(position) / time.Duration(servers)
	return wait.Round(time.Second)
}
