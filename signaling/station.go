package signaling

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"cloudwindow/calls"
	"cloudwindow/catalog"
	"cloudwindow/queue"
)

func (s *Server) handleCallRequest(ctx context.Context, sess *session, m Message) error {
	var d callRequestData
	if err := decodeData(m.Data, &d); err != nil {
		return err
	}
	if sess.currentCall() != nil {
		return protoErr(CodeInvalidState, "this station is already in a call")
	}
	item, err := s.deps.Catalog.Item(ctx, d.ItemID)
	if errors.Is(err, catalog.ErrNotFound) || (err == nil && !item.Enabled) {
		return protoErr(CodeNotFound, "no service item %q", d.ItemID)
	} else if err != nil {
		return fmt.Errorf("look up item %s: %w", d.ItemID, err)
	}
	if ok, err := s.queue.CanServe(ctx, item.SkillGroup); err != nil {
		return fmt.Errorf("check agents for %s: %w", item.SkillGroup, err)
	} else if !ok {
		return protoErr(CodeNoAgents, "现在没有能办理此事项的工作人员在线。服务时间：%s", s.cfg.OpeningHours)
	}
	req := queue.Request{
		ID: uuid.NewString(), StationID: sess.ident.AccountID, StationName: sess.ident.DisplayName,
		Region: sess.ident.Region, Island: sess.ident.Island, AudioOnly: d.AudioOnly, LinkRTT: sess.linkRTT(), ItemID: item.ID, ItemName: item.NameZh, SkillGroup: item.SkillGroup,
		Green: d.GreenChannel != "", GreenReason: d.GreenChannel, AppointmentID: d.AppointmentID,
	}
	if err := s.checkAppointment(ctx, &req); err != nil {
		return err
	}
	queuedAt := time.Now() // before the queue offers it, which it may do at once
	pos, err := s.queue.Enqueue(ctx, req)
	if errors.Is(err, queue.ErrDuplicate) {
		return protoErr(CodeDuplicate, "this station is already waiting for a call")
	} else if err != nil {
		return fmt.Errorf("enqueue request of %s: %w", sess.ident.Username, err)
	}
	req.EnqueuedAt = queuedAt
	sess.setWaiting(req)
	s.recordRequest(ctx, req, item)
	s.events.add(req.ID, calls.Event{At: queuedAt, Type: "queued", Actor: sess.ident.DisplayName, Detail: item.NameZh})
	sess.reply(m.ID, TypeCallQueued, positionData{RequestID: req.ID, Position: pos.Position, EstimatedWaitS: seconds(pos.EstimatedWait)})
	return nil
}

func (s *Server) handleCallCancel(ctx context.Context, sess *session, m Message) error {
	var d requestRef
	if err := decodeData(m.Data, &d); err != nil {
		return err
	}
	err := s.queue.Cancel(ctx, sess.ident.AccountID, d.RequestID)
	if errors.Is(err, queue.ErrNotFound) {
		return protoErr(CodeNotFound, "no waiting request %s of this station", d.RequestID)
	} else if err != nil {
		return fmt.Errorf("cancel request %s: %w", d.RequestID, err)
	}
	sess.setWaitingRequest("")
	s.closeStanding(sess)
	s.events.add(d.RequestID, calls.Event{At: time.Now(), Type: "cancelled", Actor: sess.ident.DisplayName})
	sess.reply(m.ID, TypeOK, empty{})
	return nil
}

// itemJSON is the item as clients see it (the catalog's JSON form).
func itemJSON(item catalog.Item) json.RawMessage {
	b, err := json.Marshal(item)
	if err != nil {
		return json.RawMessage("{}")
	}
	return b
}

// recordRequest keeps the request in the durable record, so that the
// statistics count it even if nobody answers. A failure costs only that
// count, so the resident still waits.
func (s *Server) recordRequest(ctx context.Context, req queue.Request, item catalog.Item) {
	r := calls.Request{
		ID: req.ID, StationID: req.StationID, StationName: req.StationName, Island: req.Island,
		ItemID: item.ID, ItemName: item.NameZh, Category: item.Category, Green: req.Green, RequestedAt: time.Now(),
	}
	if err := s.deps.Calls.RecordRequest(ctx, r); err != nil {
		s.log.Error("record call request", "request", req.ID, "err", err)
	}
}
