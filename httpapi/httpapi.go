// Package httpapi provides what every JSON endpoint under /api/v1 shares:
// the error shape, bounded request decoding, and authorisation by role.
package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"cloudwindow/auth"
	"cloudwindow/identity"
)

// MaxBody bounds a JSON request body unless an endpoint says otherwise.
const MaxBody = 64 << 10

// Error is the body of every error response:
// {"error": {"code": "...", "message": "..."}}.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// WriteError sends an error response.
func WriteError(w http.ResponseWriter, status int, code, message string) {
	WriteJSON(w, status, map[string]Error{"error": {Code: code, Message: message}})
}

// WriteJSON sends v as a JSON response.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	// An error here is a client that went away: there is no one to tell.
	_ = json.NewEncoder(w).Encode(v)
}

// DecodeJSON reads a JSON body of at most limit bytes (MaxBody if 0) into v,
// rejecting unknown fields and trailing data. On failure it has already
// written a 400/413 response and returns false.
func DecodeJSON(w http.ResponseWriter, r *http.Request, v any, limit int64) bool {
	if limit <= 0 {
		limit = MaxBody
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.Decode(&struct{}{}) != io.EOF {
		err = errors.New("unexpected data after the JSON object")
	}
	if err == nil {
		return true
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		WriteError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("request body exceeds %d bytes", limit))
		return false
	}
	WriteError(w, http.StatusBadRequest, "bad_json", "invalid JSON body: "+err.Error())
	return false
}

// Verifier turns a bearer token into an identity.
type Verifier interface {
	Verify(ctx context.Context, token string) (identity.Identity, error)
}

type identityKey struct{}

// IdentityFrom returns the identity Require put in the request context.
func IdentityFrom(ctx context.Context) (identity.Identity, bool) {
	id, ok := ctx.Value(identityKey{}).(identity.Identity)
	return id, ok
}

// WithIdentity returns ctx carrying id (for tests and internal calls).
func WithIdentity(ctx context.Context, id identity.Identity) context.Context {
	return context.WithValue(ctx, identityKey{}, id)
}

// Require wraps h so that it runs only for a valid bearer token whose role is
// one of roles (any role when roles is empty).
func Require(v Verifier, h http.HandlerFunc, roles ...identity.Role) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || token == "" {
			WriteError(w, http.StatusUnauthorized, "unauthenticated", "missing bearer token")
			return
		}
		id, err := v.Verify(r.Context(), token)
		if errors.Is(err, auth.ErrSessionEnded) {
			WriteError(w, http.StatusUnauthorized, "session_ended", err.Error())
			return
		}
		if err != nil {
			WriteError(w, http.StatusUnauthorized, "invalid_token", err.Error())
			return
		}
		if len(roles) > 0 && !hasRole(id.Role, roles) {
			WriteError(w, http.StatusForbidden, "forbidden", "this action is not allowed for role "+string(id.Role))
			return
		}
		h(w, r.WithContext(WithIdentity(r.Context(), id)))
	}
}

func hasRole(r identity.Role, roles []identity.Role) bool {
	for _, want := range roles {
		if r == want {
			return true
		}
	}
	return false
}

// RemoteAddr is the client address for audit logs and rate limits (see
// ClientIP): never a header a client could forge.
func RemoteAddr(r *http.Request) string { return ClientIP(r) }

// ErrorCode maps a sentinel error to what a client is told about it.
type ErrorCode struct {
	Err    error
	Status int
	Code   string
}

// WriteErrorFrom answers err with the first of codes it matches
// (errors.Is), its message included. Anything else is logged to log as a
// failure of what and answered with a 500 that tells the client nothing
// internal.
func WriteErrorFrom(w http.ResponseWriter, log *slog.Logger, err error, codes []ErrorCode, what string) {
	for _, c := range codes {
		if errors.Is(err, c.Err) {
			WriteError(w, c.Status, c.Code, err.Error())
			return
		}
	}
	log.Error(what, "err", err)
	WriteError(w, http.StatusInternalServerError, "internal", "the request failed; try again")
}
