package loadgen

import (
	"context"
	"fmt"
	"time"

	"cloudwindow/client"
)

// callRef is the call id a call's messages carry.
type callRef struct {
	CallID    string `json:"call_id"`
	RequestID string `json:"request_id"`
	Reason    string `json:"reason"`
}

// stationCall is one call from a station's side: ask, wait to be answered,
// carry media until the agent hangs up.
func (r *runner) stationCall(ctx context.Context, st *client.Client) {
	defer r.finished.Add(1)
	item, green := r.nextRequest()
	asked := time.Now()
	rctx, cancel := context.WithTimeout(ctx, replyTimeout)
	m, err := st.Request(rctx, "call.request", map[string]string{"item_id": item, "green_channel": green})
	cancel()
	if err != nil {
		if ctx.Err() == nil {
			r.noteFailure("request: " + errCode(err))
			r.log.Warn("call request failed", "err", err)
		}
		return
	}
	q, _ := client.Decode[callRef](m)
	rec := r.book.get(q.RequestID)
	rec.set(&rec.requested, asked)
	standing := r.openStanding(ctx, st, "station")
	if standing != nil {
		r.serve(standing, rec)
	}
	started, ok := r.awaitAnswer(ctx, st, rec)
	if !ok {
		if standing != nil {
			r.stopMedia(standing)
		}
		return
	}
	r.stationInCall(ctx, st, rec, standing, started)
}

// awaitAnswer waits for call.started; a call nobody answers in time, or
// still waiting when the run ends, leaves the queue.
func (r *runner) awaitAnswer(ctx context.Context, st *client.Client, rec *callRecord) (client.Message, bool) {
	actx, cancel := context.WithTimeout(ctx, answerTimeout)
	defer cancel()
	for {
		m, err := st.Next(actx, "call.started")
		if err != nil {
			if ctx.Err() != nil {
				rec.cutShort()
			} else {
				rec.fail("not answered")
			}
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), replyTimeout)
			st.Request(cctx, "call.cancel", map[string]string{"request_id": rec.id})
			cancel()
			return client.Message{}, false
		}
		if d, _ := client.Decode[callRef](m); d.CallID == rec.id {
			rec.set(&rec.started, time.Now())
			return m, true
		}
	}
}

// stationInCall carries the station's media until the call ends.
func (r *runner) stationInCall(ctx context.Context, st *client.Client, rec *callRecord, standing *partyMedia, started client.Message) {
	defer rec.end()
	pm, err := r.callMedia(ctx, st, rec, "station", standing, started)
	if err != nil {
		rec.fail("station media")
		r.log.Warn("station media", "call", rec.id, "err", err)
	} else {
		defer r.stopMedia(pm)
	}
	// The agent ends every call; this bounds the wait if it cannot.
	wait := r.cfg.CallLength + mediaTimeout + 2*answerTimeout
	ended, ok := awaitEnd(context.WithoutCancel(ctx), st, rec.id, wait)
	if !ok {
		rec.fail("never ended")
		return
	}
	if ended.Reason != "hangup" {
		rec.fail("ended: " + ended.Reason)
	}
}

// awaitEnd waits for the call.ended of callID.
func awaitEnd(ctx context.Context, c *client.Client, callID string, wait time.Duration) (callRef, bool) {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	for {
		m, err := c.Next(ctx, "call.ended")
		if err != nil {
			return callRef{}, false
		}
		if d, _ := client.Decode[callRef](m); d.CallID == callID {
			return d, true
		}
	}
}

// agentLoop answers offers until ctx ends.
func (r *runner) agentLoop(ctx context.Context, a *client.Client) {
	standing := r.openStanding(ctx, a, "agent")
	defer func() {
		if standing != nil {
			r.stopMedia(standing)
		}
	}()
	for {
		m, err := a.Next(ctx, "call.offer")
		if err != nil {
			return
		}
		d, _ := client.Decode[callRef](m)
		rec := r.book.get(d.RequestID)
		rec.set(&rec.offered, time.Now())
		if standing != nil {
			r.serve(standing, rec)
			awaitPrepared(ctx, standing)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(r.cfg.AcceptDelay):
		}
		if r.line != nil {
			r.line.wait(ctx)
		}
		if r.agentCall(ctx, a, rec, standing) {
			// The call took the standing connection; a ready agent makes
			// the next one.
			standing = nil
			if ctx.Err() == nil {
				standing = r.openStanding(ctx, a, "agent")
			}
		}
	}
}

// agentCall accepts an offered call, talks for CallLength once media flows
// both ways, hangs up and wraps up. It reports whether the call started.
func (r *runner) agentCall(ctx context.Context, a *client.Client, rec *callRecord, standing *partyMedia) bool {
	rec.set(&rec.acceptSent, time.Now())
	rctx, cancel := context.WithTimeout(ctx, replyTimeout)
	started, err := a.Request(rctx, "call.accept", map[string]string{"request_id": rec.id})
	cancel()
	if err != nil {
		if code := errCode(err); code != "not_offered" && ctx.Err() == nil {
			rec.fail("accept: " + code)
			r.log.Warn("accept failed", "call", rec.id, "err", err)
		}
		return false
	}
	pm, err := r.callMedia(ctx, a, rec, "agent", standing, started)
	if err != nil {
		rec.fail("agent media")
		r.log.Warn("agent media", "call", rec.id, "err", err)
	} else {
		r.talk(ctx, rec)
	}
	r.hangUp(context.WithoutCancel(ctx), a, rec)
	if pm != nil {
		r.stopMedia(pm)
	}
	return true
}

// talk waits for media at every receiving side, then for the call length;
// the run's end cuts both short.
func (r *runner) talk(ctx context.Context, rec *callRecord) {
	select {
	case <-rec.media:
	case <-ctx.Done():
		rec.cutShort()
		return
	case <-time.After(mediaTimeout):
		rec.fail("no media")
		return
	}
	select {
	case <-ctx.Done():
	case <-time.After(r.cfg.CallLength):
	}
}

// hangUp ends the call from the agent's side and wraps it up, so the agent
// is ready for the next one.
func (r *runner) hangUp(ctx context.Context, a *client.Client, rec *callRecord) {
	rctx, cancel := context.WithTimeout(ctx, replyTimeout)
	defer cancel()
	if _, err := a.Request(rctx, "call.hangup", map[string]string{"call_id": rec.id}); err != nil {
		rec.fail("hangup: " + errCode(err))
		return
	}
	if _, ok := awaitEnd(ctx, a, rec.id, replyTimeout); !ok {
		rec.fail("no call.ended")
		return
	}
	_, err := a.Request(rctx, "call.wrapup", map[string]string{"call_id": rec.id, "outcome": "consultation", "notes": "压测"})
	if err != nil {
		rec.fail("wrapup: " + errCode(err))
	}
}

// errCode names an error by its protocol code, or "error" when it has none.
func errCode(err error) string {
	if code := client.ErrCode(err); code != "" {
		return code
	}
	return fmt.Sprintf("%.60s", err.Error())
}
