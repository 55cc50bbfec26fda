package signaling

import (
	"encoding/json"
	"strings"
	"unicode/utf8"

	"cloudwindow/calls"
	"cloudwindow/identity"
	"cloudwindow/stationlink"
)

// Limits on client-sent fields.
const (
	maxIDLen    = 64
	maxTokenLen = 4096
	maxSDPLen   = 32 << 10
	maxChatLen  = 1000
	maxNotesLen = 2000
)

func checkLen(field, v string, max int, required bool) error {
	if required && v == "" {
		return protoErr(CodeBadMessage, "%s is required", field)
	}
	if len(v) > max || !utf8.ValidString(v) {
		return protoErr(CodeBadMessage, "%s is too long or not valid text", field)
	}
	return nil
}

type authData struct {
	Token       string `json:"token"`
	Invitation  string `json:"invitation"` // a guest's one-time invitation, instead of a token
	Resume      string `json:"resume"`
	ResumeToken string `json:"resume_token"`
}

func (d *authData) check() error {
	if err := checkLen("token", d.Token, maxTokenLen, d.Invitation == ""); err != nil {
		return err
	}
	if err := checkLen("invitation", d.Invitation, 2*maxIDLen, false); err != nil {
		return err
	}
	if err := checkLen("resume", d.Resume, maxIDLen, false); err != nil {
		return err
	}
	return checkLen("resume_token", d.ResumeToken, maxIDLen, false)
}

type welcomeData struct {
	SessionID   string            `json:"session_id"`
	ResumeToken string            `json:"resume_token"`
	Resumed     bool              `json:"resumed"`
	Identity    identity.Identity `json:"identity"`
	ICEServers  []ICEServer       `json:"ice_servers"`
	AgentState  string            `json:"agent_state,omitempty"`
	AgentReason string            `json:"agent_reason,omitempty"`
	Waiting     *positionData     `json:"waiting,omitempty"`
	Call        json.RawMessage   `json:"call,omitempty"`
	// A station's link profile: how its kiosk starts its video encoders.
	LinkProfile *stationlink.Settings `json:"link_profile,omitempty"`
	// Preconnect: the node takes standing media connections (call_id
	// "standby") made ahead of a call.
	Preconnect bool `json:"preconnect,omitempty"`
	// Standby: the node holds this session's standing media connection; a
	// client with one but no Standby (another node took the session over)
	// connects it anew.
	Standby bool `json:"standby,omitempty"`
}

// ICEServer is a STUN or TURN server the clients may use.
type ICEServer struct {
	URLs       []string `json:"urls" yaml:"urls"`
	Username   string   `json:"username,omitempty" yaml:"username"`
	Credential string   `json:"credential,omitempty" yaml:"credential"`
}

type empty struct{}

type callRequestData struct {
	ItemID        string `json:"item_id"`
	GreenChannel  string `json:"green_channel"`
	AppointmentID string `json:"appointment_id"`
	AudioOnly     bool   `json:"audio_only"` // the resident goes on without a camera
}

func (d *callRequestData) check() error {
	if err := checkLen("item_id", d.ItemID, maxIDLen, true); err != nil {
		return err
	}
	switch d.GreenChannel {
	case "", "elderly", "disabled", "pregnant":
	default:
		return protoErr(CodeBadMessage, "green_channel must be elderly, disabled, pregnant or empty")
	}
	return checkLen("appointment_id", d.AppointmentID, maxIDLen, false)
}

type positionData struct {
	RequestID      string `json:"request_id"`
	Position       int    `json:"position"`
	EstimatedWaitS int    `json:"estimated_wait_s"`
}

type requestRef struct {
	RequestID string `json:"request_id"`
}

func (d *requestRef) check() error { return checkLen("request_id", d.RequestID, maxIDLen, true) }

type agentStateData struct {
	State  string `json:"state"`
	Reason string `json:"reason"`
}

func (d *agentStateData) check() error {
	switch {
	case d.State == "ready" && d.Reason == "":
	case d.State == "not_ready" && (d.Reason == "" || d.Reason == "break" || d.Reason == "busy"):
	default:
		return protoErr(CodeBadMessage, "state must be ready, or not_ready with reason break or busy")
	}
	return nil
}

type agentStatusData struct {
	State           string `json:"state"`
	Reason          string `json:"reason"`
	WrapupDeadlineS int    `json:"wrapup_deadline_s,omitempty"`
}

type queueStatsData struct {
	Waiting      int            `json:"waiting"`
	GreenWaiting int            `json:"green_waiting"`
	LongestWaitS int            `json:"longest_wait_s"`
	Agents       map[string]int `json:"agents"`
}

type stationInfo struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Region    string    `json:"region,omitempty"`
	Island    bool      `json:"island"`
	AudioOnly bool      `json:"audio_only"`     // no camera: voice only
	Link      *linkInfo `json:"link,omitempty"` // absent until measured
}

type callOfferData struct {
	RequestID    string          `json:"request_id"`
	GreenChannel string          `json:"green_channel"`
	WaitedS      int             `json:"waited_s"`
	RingTimeoutS int             `json:"ring_timeout_s"`
	Station      stationInfo     `json:"station"`
	Item         json.RawMessage `json:"item"`
}

// standbyClosedData: the node closed the client's standing connection.
type standbyClosedData struct {
	Reason string `json:"reason"`
}

type offerWithdrawnData struct {
	RequestID string `json:"request_id"`
	Reason    string `json:"reason"`
}

type peerInfo struct {
	Name   string `json:"name"`
	Island bool   `json:"island"`
}

type callStartedData struct {
	CallID       string          `json:"call_id"`
	Party        string          `json:"party"`
	StartedAt    string          `json:"started_at"`
	Peer         peerInfo        `json:"peer"`
	Station      stationInfo     `json:"station"`
	GreenChannel string          `json:"green_channel"`
	Item         json.RawMessage `json:"item"`
	CaseID       string          `json:"case_id"`
	CaseNumber   string          `json:"case_number"`
	// Moved: the call was re-established on another server (its first one
	// stopped, or its agent's session moved); the client makes a new
	// PeerConnection for it.
	Moved bool `json:"moved,omitempty"`
	// Standby: the call adopted this client's standing media connection,
	// which carries the call from now on; no new PeerConnection is made.
	Standby bool `json:"standby,omitempty"`
}

type callRef struct {
	CallID string `json:"call_id"`
}

func (d *callRef) check() error { return checkLen("call_id", d.CallID, maxIDLen, true) }

type rtcOfferData struct {
	CallID  string            `json:"call_id"`
	SDP     string            `json:"sdp"`
	Fresh   bool              `json:"fresh"`
	Sources map[string]string `json:"sources"`
}

func (d *rtcOfferData) check() error {
	if err := checkLen("call_id", d.CallID, maxIDLen, true); err != nil {
		return err
	}
	if err := checkLen("sdp", d.SDP, maxSDPLen, true); err != nil {
		return err
	}
	if len(d.Sources) > 8 {
		return protoErr(CodeBadMessage, "at most 8 sources")
	}
	for id, src := range d.Sources {
		if len(id) > 128 || (src != "audio" && src != "camera" && src != "document") {
			return protoErr(CodeBadMessage, "sources maps track ids to audio, camera or document")
		}
	}
	return nil
}

type rtcAnswerData struct {
	CallID string `json:"call_id"`
	SDP    string `json:"sdp"`
}

func (d *rtcAnswerData) check() error {
	if err := checkLen("call_id", d.CallID, maxIDLen, true); err != nil {
		return err
	}
	return checkLen("sdp", d.SDP, maxSDPLen, true)
}

type rtcCandidateData struct {
	CallID        string  `json:"call_id"`
	Candidate     string  `json:"candidate"`
	SDPMid        *string `json:"sdp_mid"`
	SDPMLineIndex *uint16 `json:"sdp_mline_index"`
}

func (d *rtcCandidateData) check() error {
	if err := checkLen("call_id", d.CallID, maxIDLen, true); err != nil {
		return err
	}
	if d.SDPMid != nil && len(*d.SDPMid) > 32 {
		return protoErr(CodeBadMessage, "sdp_mid is too long")
	}
	return checkLen("candidate", d.Candidate, 1024, false)
}

type peerStateData struct {
	CallID string `json:"call_id"`
	Party  string `json:"party"`
	State  string `json:"state"`
}

type chatSendData struct {
	CallID string `json:"call_id"`
	Text   string `json:"text"`
}

func (d *chatSendData) check() error {
	if err := checkLen("call_id", d.CallID, maxIDLen, true); err != nil {
		return err
	}
	if strings.TrimSpace(d.Text) == "" {
		return protoErr(CodeBadMessage, "text is required")
	}
	if utf8.RuneCountInString(d.Text) > maxChatLen {
		return protoErr(CodeBadMessage, "text is longer than %d characters", maxChatLen)
	}
	return checkLen("text", d.Text, maxChatLen*4, true)
}

type chatMessageData struct {
	CallID string `json:"call_id"`
	From   string `json:"from"`
	Name   string `json:"name"`
	Text   string `json:"text"`
	At     string `json:"at"`
}

type callEndedData struct {
	CallID    string `json:"call_id"`
	Reason    string `json:"reason"`
	By        string `json:"by"`
	DurationS int    `json:"duration_s"`
}

type wrapupData struct {
	CallID  string   `json:"call_id"`
	Outcome string   `json:"outcome"`
	Missing []string `json:"missing"`
	Notes   string   `json:"notes"`
}

func (d *wrapupData) check() error {
	if err := checkLen("call_id", d.CallID, maxIDLen, true); err != nil {
		return err
	}
	if !calls.ValidOutcome(d.Outcome) {
		return protoErr(CodeBadMessage, "outcome must be done, forwarded, needs_materials or consultation")
	}
	if len(d.Missing) > 30 {
		return protoErr(CodeBadMessage, "at most 30 missing materials")
	}
	for _, m := range d.Missing {
		if err := checkLen("missing", m, 200, true); err != nil {
			return err
		}
	}
	if utf8.RuneCountInString(d.Notes) > maxNotesLen {
		return protoErr(CodeBadMessage, "notes are longer than %d characters", maxNotesLen)
	}
	return checkLen("notes", d.Notes, maxNotesLen*4, false)
}
