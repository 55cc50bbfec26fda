package signaling

type ticketTakeData struct {
	ItemID       string `json:"item_id"`
	GreenChannel string `json:"green_channel"`
}

func (d *ticketTakeData) check() error {
	if err := checkLen("item_id", d.ItemID, maxIDLen, true); err != nil {
		return err
	}
	switch d.GreenChannel {
	case "", "elderly", "disabled", "pregnant":
		return nil
	}
	return protoErr(CodeBadMessage, "green_channel must be elderly, disabled, pregnant or empty")
}

// ticketData is one ticket as the kiosk shows it.
type ticketData struct {
	RequestID      string `json:"request_id"`
	Ticket         string `json:"ticket"`
	ItemID         string `json:"item_id"`
	ItemName       string `json:"item_name"`
	GreenChannel   string `json:"green_channel"`
	Position       int    `json:"position"`
	EstimatedWaitS int    `json:"estimated_wait_s"`
	State          string `json:"state"`    // waiting | calling | answered
	Requeued       bool   `json:"requeued"` // missed once and back in the queue
}

type ticketListData struct {
	Tickets []ticketData `json:"tickets"`
}

type ticketCallData struct {
	RequestID      string `json:"request_id"`
	Ticket         string `json:"ticket"`
	ItemName       string `json:"item_name"`
	GreenChannel   string `json:"green_channel"`
	AnswerTimeoutS int    `json:"answer_timeout_s"`
	Requeued       bool   `json:"requeued"` // its last chance: missed again, it lapses
}

type ticketCallEndedData struct {
	RequestID string `json:"request_id"`
	Ticket    string `json:"ticket"`
	Outcome   string `json:"outcome"` // answered | requeued | lapsed | withdrawn
}
