// Package sessionstate keeps what a signed-in session needs to be resumed
// on any node: who it is, its resume token, and the call it is in. A node
// running alone keeps it in memory; a cluster keeps it in Redis, so the load
// balancer needs no sticky sessions: a reload or a resumed socket that lands
// on another node finds its session there.
package sessionstate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"
)

// Record is a session as another node needs it to resume it.
type Record struct {
	ID string `json:"id"`
	// TokenHash is the SHA-256 of the resume token (see TokenHash): the token
	// itself is never kept, so reading Redis does not let anyone resume.
	TokenHash string `json:"token_hash"`
	AccountID string `json:"account_id"`
	Role      string `json:"role"`
	Node      string `json:"node"` // the node its socket was last on
	// CallID is the call the session is in, held on CallNode; Call is the
	// call.started data as this session sees it, for a resume's welcome.
	CallID    string          `json:"call_id,omitempty"`
	CallNode  string          `json:"call_node,omitempty"`
	Call      json.RawMessage `json:"call,omitempty"`
	ExpiresAt time.Time       `json:"expires_at"`
}

// TokenHash is the hex SHA-256 of a resume token, as a Record keeps it.
func TokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// ErrNotFound: no session is kept for the account (never signed in, ended,
// or expired).
var ErrNotFound = errors.New("no session kept")

// Store keeps one Record per account.
type Store interface {
	// Save replaces the account's record; it is kept until r.ExpiresAt.
	Save(ctx context.Context, r Record) error
	// Load returns the account's record, ErrNotFound if there is none.
	Load(ctx context.Context, accountID string) (Record, error)
	// Delete removes the account's record if it is still session sessionID's:
	// a session ended on one node must not remove its successor's.
	Delete(ctx context.Context, accountID, sessionID string) error
}
