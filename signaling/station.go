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
		Island: sess.ident.Island, ItemID: item.ID, ItemName: item.NameZh, SkillGroup: item.SkillGroup,
		Green: d.GreenChannel != "", GreenReason: d.GreenChannel, AppointmentID: d.AppointmentID,
	}
	enqueued := time.Now()
	pos, err := s.queue.Enqueue(ctx, req)
	if errors.Is(err, queue.ErrDuplicate) {
		return protoErr(CodeDuplicate, "this station is already waiting for a call")
	} else if err != nil {
		return fmt.Errorf("enqueue request of %s: %w", sess.ident.Username, err)
	}
	req.EnqueuedAt = enqueued
	sess.setWaiting(req)
	s.events.add(req.ID, calls.Event{At: time.Now(), Type: "queued", Actor: sess.ident.DisplayName, Detail: item.NameZh})
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
