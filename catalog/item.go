package catalog

import (
	"errors"
	"time"
)

// Mode is how the center handles an item.
type Mode string

// The handling modes.
const (
	ModeDirect   Mode = "direct"   // 一窗直接受理: the agent completes it in the call
	ModeAssisted Mode = "assisted" // 帮办代办: the agent takes it in, the back office finishes it
)

// Item is one service a resident can ask for.
type Item struct {
	ID                string     `json:"id"`
	NameZh            string     `json:"name_zh"`
	NameEn            string     `json:"name_en"`
	Category          string     `json:"category"`
	SkillGroup        string     `json:"skill_group"` // the queue routes on this; a category id
	Mode              Mode       `json:"mode"`
	TimeLimitDays     int        `json:"time_limit_days"` // promised working days; 0 = on the spot (即办)
	SignatureRequired bool       `json:"signature_required"`
	Materials         []Material `json:"materials"`
	GuideZh           string     `json:"guide_zh"` // what the agent checks, in one sentence

	// Kept by the store. Enabled changes through SetEnabled (a create may
	// set it); the other two are ignored in what admins send.
	Enabled       bool      `json:"enabled"`
	EditedByAdmin bool      `json:"edited_by_admin"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// Material is a document the resident shows or hands in.
type Material struct {
	NameZh   string `json:"name_zh"`
	NameEn   string `json:"name_en"`
	Required bool   `json:"required"`
}

// Category groups items; its id is also the skill group agents are given.
type Category struct {
	ID     string `json:"id"`
	NameZh string `json:"name_zh"`
	NameEn string `json:"name_en"`
}

// Query selects items for Items. Zero fields match everything.
type Query struct {
	Text            string // words that must all appear in the id, Chinese or English name
	Category        string
	IncludeDisabled bool
}

// Errors callers can test with errors.Is. Validation failures are
// *ValidationError, which also matches ErrInvalid.
var (
	ErrNotFound = errors.New("catalog item not found")
	ErrExists   = errors.New("catalog item already exists")
	ErrInvalid  = errors.New("invalid catalog item")
)

// clone returns a copy that shares no memory with it, so callers cannot
// change cached items through the Materials slice.
func (it Item) clone() Item {
	it.Materials = append([]Material(nil), it.Materials...)
	return it
}
