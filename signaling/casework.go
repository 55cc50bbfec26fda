package signaling

import (
	"context"
	"time"

	"cloudwindow/calls"
	"cloudwindow/cases"
	"cloudwindow/documents"
	"cloudwindow/identity"
)

// Cases records every call and opens its case (办件), and records the agent's
// wrap-up outcome on it (the cases service).
type Cases interface {
	// StartCall records a new call and opens its case, atomically.
	StartCall(ctx context.Context, c calls.Call) (cases.Case, error)
	OpenForCall(ctx context.Context, c calls.Call) (cases.Case, error)
	WrapUp(ctx context.Context, callID string, actor identity.Identity, outcome string, missing []string, notes string) (cases.Case, error)
}

type caseData struct {
	CallID     string   `json:"call_id"`
	CaseID     string   `json:"case_id"`
	Number     string   `json:"number"`
	State      string   `json:"state"`
	DueDate    string   `json:"due_date,omitempty"`
	Missing    []string `json:"missing,omitempty"`
	ReceiptURL string   `json:"receipt_url"`
}

func caseDataOf(c cases.Case) caseData {
	return caseData{CallID: c.CallID, CaseID: c.ID, Number: c.Number, State: string(c.State), DueDate: c.DueDate,
		Missing: c.Missing, ReceiptURL: "/api/v1/cases/" + c.ID + "/receipt"}
}

type formPushedData struct {
	CallID     string `json:"call_id"`
	FormID     string `json:"form_id"`
	CaseNumber string `json:"case_number"`
	SHA256     string `json:"sha256"`
	URL        string `json:"url"`
}

type formSignedData struct {
	CallID      string `json:"call_id"`
	FormID      string `json:"form_id"`
	SignatureID string `json:"signature_id"`
	ImageURL    string `json:"image_url"`
	SignedAt    string `json:"signed_at"`
}

type documentData struct {
	CallID   string             `json:"call_id"`
	Document documents.Document `json:"document"`
}

// liveCall returns the running call with id on this node, or nil.
func (s *Server) liveCall(id string) *call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.callsByID[id]
}

// callParties finds who is in a call. Case work arrives over HTTP on any
// node of a cluster, so the call's record, not this node's memory, says.
func (s *Server) callParties(callID string) (station, agent string, ok bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := s.deps.Calls.Get(ctx, callID)
	if err != nil {
		s.log.Warn("notify call parties", "call", callID, "err", err)
		return "", "", false
	}
	return c.StationID, c.AgentID, true
}

// CaseEvent copies a case event into its call's timeline.
func (s *Server) CaseEvent(e cases.Event) { s.events.add(e.CallID, e.CallEvent()) }

// FormPushed shows a form the agent pushed on the call's station.
func (s *Server) FormPushed(f cases.Form) {
	if station, _, ok := s.callParties(f.CallID); ok {
		s.pushTo(station, TypeFormPushed, formPushedData{CallID: f.CallID, FormID: f.ID, CaseNumber: f.CaseNumber,
			SHA256: f.SHA256, URL: "/api/v1/forms/" + f.ID})
	}
}

// FormSigned shows the resident's signature to the call's agent at once.
func (s *Server) FormSigned(sig cases.Signature) {
	if _, agent, ok := s.callParties(sig.CallID); ok {
		s.pushTo(agent, TypeFormSigned, formSignedData{CallID: sig.CallID, FormID: sig.FormID, SignatureID: sig.ID,
			ImageURL: sig.ImageURL, SignedAt: sig.SignedAt.UTC().Format(time.RFC3339)})
	}
}

// DocumentChanged shows a new scan to the agent, and a re-scan request to
// the station.
func (s *Server) DocumentChanged(d documents.Document) {
	s.events.add(d.CallID, calls.Event{At: d.UpdatedAt, Type: "document." + string(d.Status), Actor: d.StationID, Detail: d.Filename})
	if station, agent, ok := s.callParties(d.CallID); ok {
		data := documentData{CallID: d.CallID, Document: d}
		s.pushTo(agent, TypeDocumentUpdated, data)
		s.pushTo(station, TypeDocumentUpdated, data)
	}
}
