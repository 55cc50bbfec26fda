// Package cases keeps the case (办件) that every call opens: its number a
// resident can quote, its state and every transition with who and when, the
// outcome the agent gives at wrap-up with the due date promised for work
// forwarded to the back office, the materials received, the confirmation
// forms pushed to the station and the resident's signatures on them.
package cases

import (
	"errors"
	"time"
)

// State is where a case stands. A case opens in StateOpen; the agent's
// wrap-up moves it to the state named by the outcome.
type State string

// The states. Done and Consultation are final.
const (
	StateOpen           State = "open"            // the call is under way
	StateDone           State = "done"            // 办结
	StateForwarded      State = "forwarded"       // 受理转后台: the back office finishes it by DueDate
	StateNeedsMaterials State = "needs_materials" // 需补正: waiting for the materials in Missing
	StateConsultation   State = "consultation"    // 仅咨询
)

// Outcomes an agent gives at wrap-up; each names the state it leads to.
const (
	OutcomeDone           = string(StateDone)
	OutcomeForwarded      = string(StateForwarded)
	OutcomeNeedsMaterials = string(StateNeedsMaterials)
	OutcomeConsultation   = string(StateConsultation)
)

// Errors callers can test with errors.Is.
var (
	ErrNotFound       = errors.New("not found")
	ErrInvalid        = errors.New("invalid request")
	ErrForbidden      = errors.New("not allowed")
	ErrConflict       = errors.New("not possible in the current state")
	ErrContentChanged = errors.New("signed content differs from the form")
)

// Case is one case, as agents and supervisors see it.
type Case struct {
	ID          string    `json:"id"`
	Number      string    `json:"number"`
	CallID      string    `json:"call_id"`
	StationID   string    `json:"station_id"`
	StationName string    `json:"station_name"`
	AgentID     string    `json:"agent_id"`
	AgentName   string    `json:"agent_name"`
	ItemID      string    `json:"item_id"`
	ItemName    string    `json:"item_name"`
	State       State     `json:"state"`
	Missing     []string  `json:"missing"` // needs_materials: what the resident must still bring
	Notes       string    `json:"notes"`
	Resident    Resident  `json:"resident"`
	DueDate     string    `json:"due_date,omitempty"` // "2026-11-27"; forwarded cases only
	OpenedAt    time.Time `json:"opened_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	ClosedAt    time.Time `json:"closed_at,omitzero"`
}

// Resident is what the resident stated during the call, typed in by the
// agent. It is personal data: lists show it masked.
type Resident struct {
	Name     string `json:"name"`
	IDNumber string `json:"id_number"`
	Phone    string `json:"phone"`
	Address  string `json:"address"`
	Request  string `json:"request"` // what the resident asks for, in their words
}

// Masked returns r with the ID and phone numbers partly hidden, for lists,
// logs and anything shown on a station screen.
func (r Resident) Masked() Resident {
	r.IDNumber = mask(r.IDNumber, 4, 4)
	r.Phone = mask(r.Phone, 3, 4)
	return r
}

// mask keeps the first head and last tail characters of s; a value too
// short to keep both is hidden whole.
func mask(s string, head, tail int) string {
	rs := []rune(s)
	if len(rs) == 0 {
		return ""
	}
	if len(rs) <= head+tail {
		return string(repeatRune('*', len(rs)))
	}
	out := append([]rune{}, rs[:head]...)
	out = append(out, repeatRune('*', len(rs)-head-tail)...)
	return string(append(out, rs[len(rs)-tail:]...))
}

func repeatRune(r rune, n int) []rune {
	out := make([]rune, n)
	for i := range out {
		out[i] = r
	}
	return out
}

// Status is what anyone at a station may learn from a case number: nothing
// about the person, only how the case stands. The item is left out for
// stations other than the case's own (see ByNumber).
type Status struct {
	Number     string `json:"number"`
	ItemName   string `json:"item_name,omitempty"`
	ItemNameEn string `json:"item_name_en,omitempty"`
	State      State  `json:"state"`
	DueDate    string `json:"due_date,omitempty"`
}

// Event is one entry of a case's timeline. FromState equals ToState for
// events that do not change the state.
type Event struct {
	ID        string    `json:"id"`
	CaseID    string    `json:"case_id"`
	CallID    string    `json:"call_id"`
	At        time.Time `json:"at"`
	Type      string    `json:"type"` // opened, wrapped_up, completed, resident_updated, material_attached, form_created, signed
	ActorID   string    `json:"actor_id"`
	ActorName string    `json:"actor_name"`
	FromState State     `json:"from_state"`
	ToState   State     `json:"to_state"`
	Detail    string    `json:"detail,omitempty"`
}

// Material is one entry of the item's materials list and whether the case
// has it: Received is ticked once an accepted scan is attached under its name.
type Material struct {
	NameZh      string   `json:"name_zh"`
	NameEn      string   `json:"name_en"`
	Required    bool     `json:"required"`
	Received    bool     `json:"received"`
	DocumentIDs []string `json:"document_ids"`
}

// Detail is the whole case page: the case with its materials, forms,
// signatures and timeline.
type Detail struct {
	Case
	Materials  []Material  `json:"materials"`
	Forms      []Form      `json:"forms"`
	Signatures []Signature `json:"signatures"`
	Events     []Event     `json:"events"`
	Helpers    []Helper    `json:"helpers"` // station helpers (代办员) who acted for the resident
	// RecordingURL links to the session recording; set for supervisors and
	// admins only, by the HTTP layer.
	RecordingURL string `json:"recording_url,omitempty"`
}
