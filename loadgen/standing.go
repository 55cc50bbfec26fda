package loadgen

import (
	"context"

	"cloudwindow/client"
)

// Standing media connections (Config.Standing) are made as the web apps make
// them: a ready agent connects while it waits for an offer, a station right
// after it joins the queue. While the call rings the node negotiates the two
// to each other, held; the accept then only releases the tracks.

// openStanding connects party's standing connection. It returns nil when
// the run does not use them or the node refuses one; the call then
// connects per call.
func (r *runner) openStanding(ctx context.Context, c *client.Client, party string) *partyMedia {
	if !r.cfg.Standing {
		return nil
	}
	pm, err := r.openMedia(ctx, c, party, client.StandbyCallID, nil)
	if err != nil {
		r.log.Warn("standing connection refused", "party", party, "err", err)
		return nil
	}
	return pm
}

// awaitPrepared waits, at most replyTimeout, until the node has negotiated
// the ringing call's tracks onto the agent's standing connection: what
// happens while a person reads the offer. A connection that is not
// prepared in time still carries the call, renegotiated at accept.
func awaitPrepared(ctx context.Context, pm *partyMedia) {
	pollUntil(ctx, replyTimeout, func() bool { return pm.media.ServerOffersAnswered() > 0 })
}

// callMedia returns the media that carries a started call: the standing
// connection when the node adopted it (call.started says "standby"), or a
// new one per call, the standing one closed.
func (r *runner) callMedia(ctx context.Context, c *client.Client, rec *callRecord, party string, standing *partyMedia, started client.Message) (*partyMedia, error) {
	if standing != nil {
		d, _ := client.Decode[struct {
			Standby bool `json:"standby"`
		}](started)
		if d.Standby {
			rec.carriedByStanding(party)
			r.serve(standing, rec)
			return standing, nil
		}
		r.stopMedia(standing)
	}
	return r.startMedia(ctx, c, rec, party)
}
