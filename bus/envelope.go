package bus

import (
	"fmt"
	"time"
)

// wireRequest is a request as it waits in a topic's Redis list.
type wireRequest struct {
	ID       string `json:"id"`
	ReplyTo  string `json:"reply_to"` // the caller's reply channel
	Deadline int64  `json:"deadline"` // Unix milliseconds; dropped after
	Body     []byte `json:"body"`
}

func (r *wireRequest) expired(now time.Time) bool { return !now.Before(time.UnixMilli(r.Deadline)) }

// wireReply is a handler's answer, published on the caller's reply channel.
type wireReply struct {
	ID    string `json:"id"`
	Body  []byte `json:"body,omitempty"`
	Error string `json:"error,omitempty"` // the handler's error text
}

func (r wireReply) result(topic string) ([]byte, error) {
	if r.Error != "" {
		return nil, fmt.Errorf("bus request %s: %w: %s", topic, ErrHandlerFailed, r.Error)
	}
	return r.Body, nil
}
