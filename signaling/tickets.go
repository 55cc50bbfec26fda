package signaling

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"cloudwindow/calls"
	"cloudwindow/catalog"
	"cloudwindow/queue"
)

// Station tickets (取号叫号): residents at a station each take a numbered
// ticket and sit down; each ticket waits in the queue on its own (see
// queue/tickets.go). The book below keeps, per station whose session is on
// this node, the tickets it holds, so that the kiosk can show the waiting
// list and a restarted queue can be told of every ticket again.

// maxTicketsPerStation bounds one station's waiting tickets.
const maxTicketsPerStation = 99

// Ticket states shown on the kiosk's waiting list.
const (
	ticketWaiting  = "waiting"
	ticketCalling  = "calling"  // the kiosk calls the number
	ticketAnswered = "answered" // the resident came; an agent is being rung
)

type heldTicket struct {
	req   queue.Request
	pos   queue.Position
	state string
}

type stationTickets struct {
	tickets []*heldTicket // in the order taken
}

// ticketBook is the tickets of the stations signed in here. Its zero value
// is ready to use.
type ticketBook struct {
	mu       sync.Mutex
	stations map[string]*stationTickets
}

func (b *ticketBook) station(id string) *stationTickets {
	if b.stations == nil {
		b.stations = map[string]*stationTickets{}
	}
	st := b.stations[id]
	if st == nil {
		st = &stationTickets{}
		b.stations[id] = st
	}
	return st
}

// update applies f to the station's ticket for req (added if missing when
// add is set) and reports whether the book holds it.
func (b *ticketBook) update(req queue.Request, add bool, f func(t *heldTicket)) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	st := b.station(req.StationID)
	i := slices.IndexFunc(st.tickets, func(t *heldTicket) bool { return t.req.ID == req.ID })
	if i < 0 && !add {
		return false
	}
	if i < 0 {
		st.tickets = append(st.tickets, &heldTicket{req: req, state: ticketWaiting})
		i = len(st.tickets) - 1
	}
	f(st.tickets[i])
	return true
}

// drop forgets a ticket; it reports whether the book held it.
func (b *ticketBook) drop(stationID, requestID string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	st := b.station(stationID)
	n := len(st.tickets)
	st.tickets = slices.DeleteFunc(st.tickets, func(t *heldTicket) bool { return t.req.ID == requestID })
	return len(st.tickets) != n
}

// requests lists the station's tickets as the queue should hold them.
func (b *ticketBook) requests(stationID string) []queue.Request {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []queue.Request
	for _, t := range b.station(stationID).tickets {
		out = append(out, t.req)
	}
	return out
}

func (b *ticketBook) count(stationID string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.station(stationID).tickets)
}

// list is the station's waiting list as the kiosk shows it, in queue order.
func (b *ticketBook) list(stationID string) ticketListData {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := ticketListData{Tickets: []ticketData{}}
	for _, t := range b.station(stationID).tickets {
		out.Tickets = append(out.Tickets, ticketDataOf(t))
	}
	slices.SortStableFunc(out.Tickets, func(a, b ticketData) int { return a.Position - b.Position })
	return out
}

func ticketDataOf(t *heldTicket) ticketData {
	return ticketData{
		RequestID: t.req.ID, Ticket: t.req.Ticket, ItemID: t.req.ItemID, ItemName: t.req.ItemName,
		GreenChannel: t.req.GreenReason, Position: t.pos.Position, EstimatedWaitS: seconds(t.pos.EstimatedWait),
		State: t.state, Requeued: !t.req.RequeuedAt.IsZero(),
	}
}

// pushTickets sends the station its waiting list, if it is signed in here.
func (s *Server) pushTickets(stationID string) {
	if sess := s.session(stationID); sess != nil {
		sess.push(TypeTicketList, s.tickets.list(stationID))
	}
}

// handleTicketTake issues a ticket for an item and puts it in the queue.
func (s *Server) handleTicketTake(ctx context.Context, sess *session, m Message) error {
	var d ticketTakeData
	if err := decodeData(m.Data, &d); err != nil {
		return err
	}
	station := sess.ident.AccountID
	if s.tickets.count(station) >= maxTicketsPerStation {
		return protoErr(CodeInvalidState, "this station already holds %d tickets", maxTicketsPerStation)
	}
	item, err := s.ticketItem(ctx, d.ItemID)
	if err != nil {
		return err
	}
	now := time.Now()
	number, err := s.ticketNumber(ctx, station, d.GreenChannel != "", now)
	if err != nil {
		return err
	}
	req := queue.Request{
		ID: uuid.NewString(), StationID: station, StationName: sess.ident.DisplayName,
		Region: sess.ident.Region, Island: sess.ident.Island, LinkRTT: sess.linkRTT(),
		ItemID: item.ID, ItemName: item.NameZh, SkillGroup: item.SkillGroup,
		Green: d.GreenChannel != "", GreenReason: d.GreenChannel,
		Ticket: number,
	}
	// In the book before the queue may call it, which it can do at once.
	req.EnqueuedAt = now
	s.tickets.update(req, true, func(*heldTicket) {})
	pos, err := s.queue.Enqueue(ctx, req)
	if err != nil {
		s.tickets.drop(station, req.ID)
		if errors.Is(err, queue.ErrDuplicate) {
			return protoErr(CodeDuplicate, "this station is already waiting for a call without a ticket")
		}
		return fmt.Errorf("enqueue ticket of %s: %w", sess.ident.Username, err)
	}
	s.tickets.update(req, false, func(t *heldTicket) {
		if t.pos.Position == 0 {
			t.pos = pos
		}
	})
	s.recordRequest(ctx, req, item)
	s.events.add(req.ID, calls.Event{At: now, Type: "queued", Actor: sess.ident.DisplayName, Detail: req.Ticket + " " + item.NameZh})
	sess.reply(m.ID, TypeTicketTaken, ticketData{
		RequestID: req.ID, Ticket: req.Ticket, ItemID: item.ID, ItemName: item.NameZh, GreenChannel: req.GreenReason,
		Position: pos.Position, EstimatedWaitS: seconds(pos.EstimatedWait), State: ticketWaiting,
	})
	s.pushTickets(station)
	return nil
}

// ticketNumber issues the station's next ticket number for today, from the
// store so that it goes on after a restart and on any node: A001, A002, …
// for plain tickets and G001, … for the green channel.
func (s *Server) ticketNumber(ctx context.Context, stationID string, green bool, now time.Time) (string, error) {
	prefix := "A"
	if green {
		prefix = "G"
	}
	n, err := s.deps.Calls.NextTicketNumber(ctx, stationID, now.Format(time.DateOnly), prefix)
	if err != nil {
		return "", fmt.Errorf("number a ticket: %w", err)
	}
	return fmt.Sprintf("%s%03d", prefix, n), nil
}

// ticketItem is the enabled item a ticket asks for, if an agent online can
// serve it.
func (s *Server) ticketItem(ctx context.Context, itemID string) (catalog.Item, error) {
	item, err := s.deps.Catalog.Item(ctx, itemID)
	if errors.Is(err, catalog.ErrNotFound) || (err == nil && !item.Enabled) {
		return item, protoErr(CodeNotFound, "no service item %q", itemID)
	} else if err != nil {
		return item, fmt.Errorf("look up item %s: %w", itemID, err)
	}
	if ok, err := s.queue.CanServe(ctx, item.SkillGroup); err != nil {
		return item, fmt.Errorf("check agents for %s: %w", item.SkillGroup, err)
	} else if !ok {
		return item, protoErr(CodeNoAgents, "现在没有能办理此事项的工作人员在线。服务时间：%s", s.cfg.OpeningHours)
	}
	return item, nil
}

// handleTicketCancel takes one of the station's own tickets out.
func (s *Server) handleTicketCancel(ctx context.Context, sess *session, m Message) error {
	var d requestRef
	if err := decodeData(m.Data, &d); err != nil {
		return err
	}
	station := sess.ident.AccountID
	if !s.tickets.update(queue.Request{ID: d.RequestID, StationID: station}, false, func(*heldTicket) {}) {
		return protoErr(CodeNotFound, "no ticket %s of this station", d.RequestID)
	}
	err := s.queue.Cancel(ctx, station, d.RequestID)
	if err != nil && !errors.Is(err, queue.ErrNotFound) {
		return fmt.Errorf("cancel ticket %s: %w", d.RequestID, err)
	}
	s.tickets.drop(station, d.RequestID)
	s.events.add(d.RequestID, calls.Event{At: time.Now(), Type: "cancelled", Actor: sess.ident.DisplayName})
	sess.reply(m.ID, TypeOK, empty{})
	s.pushTickets(station)
	return nil
}

// handleTicketAnswer: the resident whose number is called came to the
// kiosk; the agent held for the ticket is rung now.
func (s *Server) handleTicketAnswer(ctx context.Context, sess *session, m Message) error {
	var d requestRef
	if err := decodeData(m.Data, &d); err != nil {
		return err
	}
	err := s.queue.AnswerTicket(ctx, sess.ident.AccountID, d.RequestID)
	switch {
	case errors.Is(err, queue.ErrNotFound):
		return protoErr(CodeNotFound, "no ticket %s of this station", d.RequestID)
	case errors.Is(err, queue.ErrInvalidState):
		return protoErr(CodeInvalidState, "ticket %s is not being called", d.RequestID)
	case err != nil:
		return fmt.Errorf("answer ticket %s: %w", d.RequestID, err)
	}
	sess.reply(m.ID, TypeOK, empty{})
	return nil
}

// handleTicketList sends the station its waiting list.
func (s *Server) handleTicketList(_ context.Context, sess *session, m Message) error {
	sess.reply(m.ID, TypeTicketList, s.tickets.list(sess.ident.AccountID))
	return nil
}

// ticketPosition keeps a ticket's new place; false for a request that is
// not a ticket held here.
func (s *Server) ticketPosition(stationID string, pos queue.Position) bool {
	held := s.tickets.update(queue.Request{ID: pos.RequestID, StationID: stationID}, false, func(t *heldTicket) { t.pos = pos })
	if held {
		s.pushTickets(stationID)
	}
	return held
}

var _ queue.TicketListener = (*Server)(nil)

// TicketCalled has the kiosk call the ticket's number.
func (s *Server) TicketCalled(stationID string, req queue.Request, answer time.Duration) {
	sess := s.session(stationID)
	if sess == nil {
		return // every node hears every queue event; the station's node calls
	}
	s.tickets.update(req, true, func(t *heldTicket) { t.state = ticketCalling })
	sess.push(TypeTicketCall, ticketCallData{
		RequestID: req.ID, Ticket: req.Ticket, ItemName: req.ItemName, GreenChannel: req.GreenReason,
		AnswerTimeoutS: seconds(answer), Requeued: !req.RequeuedAt.IsZero(),
	})
	s.pushTickets(stationID)
	s.events.add(req.ID, calls.Event{At: time.Now(), Type: "ticket_called", Actor: sess.ident.DisplayName, Detail: req.Ticket})
}

// TicketCallEnded stops the kiosk calling a ticket.
func (s *Server) TicketCallEnded(stationID string, req queue.Request, outcome string) {
	sess := s.session(stationID)
	if sess == nil {
		return
	}
	if outcome == queue.TicketLapsed {
		s.tickets.drop(stationID, req.ID)
	} else {
		s.tickets.update(req, false, func(t *heldTicket) {
			t.req.RequeuedAt = req.RequeuedAt
			t.state = ticketWaiting
			if outcome == queue.TicketAnswered {
				t.state = ticketAnswered
			}
		})
	}
	sess.push(TypeTicketCallEnded, ticketCallEndedData{RequestID: req.ID, Ticket: req.Ticket, Outcome: outcome})
	s.pushTickets(stationID)
	if outcome != queue.TicketAnswered && outcome != queue.TicketWithdrawn {
		s.events.add(req.ID, calls.Event{At: time.Now(), Type: "ticket_" + outcome, Actor: sess.ident.DisplayName, Detail: req.Ticket})
	}
}

// ticketStarted forgets a ticket whose call has started.
func (s *Server) ticketStarted(req queue.Request) {
	if req.Ticket != "" && s.tickets.drop(req.StationID, req.ID) {
		s.pushTickets(req.StationID)
	}
}

// releaseTickets takes a departed station's tickets out of the queue.
func (s *Server) releaseTickets(ctx context.Context, stationID string) {
	for _, req := range s.tickets.requests(stationID) {
		// A ticket the queue cannot drop now lapses by itself: nobody answers it.
		if err := s.queue.Cancel(ctx, stationID, req.ID); err != nil && !errors.Is(err, queue.ErrNotFound) {
			s.log.Warn("cancel ticket of departed station", "station", stationID, "ticket", req.Ticket, "err", err)
		}
		s.tickets.drop(stationID, req.ID)
	}
}
