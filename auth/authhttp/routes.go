// Package authhttp serves the auth service over HTTP: login, refresh and
// logout, the caller's identity, and the admin API for accounts, stations
// and the audit log. It lives apart from package auth because httpapi
// imports auth, to tell an ended session from a bad token.
package authhttp

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"cloudwindow/audit"
	"cloudwindow/auth"
	"cloudwindow/httpapi"
	"cloudwindow/identity"
)

// maxCredentialsBody bounds login, refresh and logout bodies.
const maxCredentialsBody = 4 << 10

type handler struct {
	auth  *auth.Service
	audit *audit.Log
	log   *slog.Logger
}

// Routes registers the auth and admin endpoints on mux. Every admin change
// is written to log.
func Routes(mux *http.ServeMux, s *auth.Service, log *audit.Log, logger *slog.Logger) {
	h := &handler{auth: s, audit: log, log: logger}
	admin := func(f http.HandlerFunc) http.HandlerFunc { return httpapi.Require(s, f, identity.RoleAdmin) }
	mux.HandleFunc("POST /api/v1/auth/login", h.login)
	mux.HandleFunc("POST /api/v1/auth/refresh", h.refresh)
	mux.HandleFunc("POST /api/v1/auth/logout", h.logout)
	mux.HandleFunc("POST /api/v1/auth/logout-everywhere", httpapi.Require(s, h.logoutEverywhere))
	mux.HandleFunc("GET /api/v1/me", httpapi.Require(s, h.me))
	mux.HandleFunc("GET /api/v1/admin/accounts", admin(h.listAccounts))
	mux.HandleFunc("POST /api/v1/admin/accounts", admin(h.createAccount))
	mux.HandleFunc("PATCH /api/v1/admin/accounts/{id}", admin(h.updateAccount))
	mux.HandleFunc("POST /api/v1/admin/accounts/{id}/logout-everywhere", admin(h.logoutAccountEverywhere))
	mux.HandleFunc("GET /api/v1/admin/stations", admin(h.listStations))
	mux.HandleFunc("POST /api/v1/admin/stations", admin(h.createStation))
	mux.HandleFunc("GET /api/v1/admin/audit", admin(h.listAudit))
}

type credentials struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

func (h *handler) login(w http.ResponseWriter, r *http.Request) {
	var c credentials
	if !httpapi.DecodeJSON(w, r, &c, maxCredentialsBody) {
		return
	}
	if c.Username == "" || c.Password == "" {
		httpapi.WriteError(w, http.StatusBadRequest, "invalid", "username and password are required")
		return
	}
	tokens, err := h.auth.Login(r.Context(), c.Username, c.Password, httpapi.ClientIP(r))
	if err != nil {
		h.writeError(w, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, tokens)
}

type refreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

func (h *handler) refresh(w http.ResponseWriter, r *http.Request) {
	var req refreshRequest
	if !httpapi.DecodeJSON(w, r, &req, maxCredentialsBody) {
		return
	}
	tokens, err := h.auth.Refresh(r.Context(), req.RefreshToken)
	if err != nil {
		h.writeError(w, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, tokens)
}

// logout needs only the refresh token: holding it is what a session is.
// It ends that session: its tokens are refused and its socket closed.
func (h *handler) logout(w http.ResponseWriter, r *http.Request) {
	var req refreshRequest
	if !httpapi.DecodeJSON(w, r, &req, maxCredentialsBody) {
		return
	}
	if err := h.auth.Logout(r.Context(), req.RefreshToken); err != nil {
		h.writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// logoutEverywhere ends every session of the caller's account, on every
// device: for a lost phone or a kiosk left signed in.
func (h *handler) logoutEverywhere(w http.ResponseWriter, r *http.Request) {
	id, _ := httpapi.IdentityFrom(r.Context())
	if err := h.auth.LogoutEverywhere(r.Context(), id.AccountID); err != nil {
		h.writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *handler) me(w http.ResponseWriter, r *http.Request) {
	id, _ := httpapi.IdentityFrom(r.Context())
	httpapi.WriteJSON(w, http.StatusOK, id)
}

// writeError maps the service's errors to status codes and codes clients
// can act on. Unexpected errors are logged and reported without detail.
func (h *handler) writeError(w http.ResponseWriter, err error) {
	var limited *auth.RateLimitError
	var bad *auth.ValidationError
	switch {
	case errors.As(err, &limited):
		w.Header().Set("Retry-After", strconv.Itoa(limited.RetrySeconds()))
		httpapi.WriteError(w, http.StatusTooManyRequests, "rate_limited", limited.Error())
	case errors.As(err, &bad):
		httpapi.WriteError(w, http.StatusBadRequest, "invalid", bad.Error())
	case errors.Is(err, auth.ErrBadCredentials):
		httpapi.WriteError(w, http.StatusUnauthorized, "bad_credentials", auth.ErrBadCredentials.Error())
	case errors.Is(err, auth.ErrDisabled):
		httpapi.WriteError(w, http.StatusForbidden, "account_disabled", auth.ErrDisabled.Error())
	case errors.Is(err, auth.ErrSessionEnded):
		httpapi.WriteError(w, http.StatusUnauthorized, "session_ended", err.Error())
	case errors.Is(err, auth.ErrExpired):
		httpapi.WriteError(w, http.StatusUnauthorized, "token_expired", auth.ErrExpired.Error())
	case errors.Is(err, auth.ErrInvalidToken):
		httpapi.WriteError(w, http.StatusUnauthorized, "invalid_token", err.Error())
	case errors.Is(err, auth.ErrNotFound):
		httpapi.WriteError(w, http.StatusNotFound, "not_found", auth.ErrNotFound.Error())
	case errors.Is(err, auth.ErrUsernameTaken):
		httpapi.WriteError(w, http.StatusConflict, "username_taken", auth.ErrUsernameTaken.Error())
	case errors.Is(err, auth.ErrLastAdmin):
		httpapi.WriteError(w, http.StatusConflict, "last_admin", auth.ErrLastAdmin.Error())
	default:
		h.log.Error("auth request failed", "err", err)
		httpapi.WriteError(w, http.StatusInternalServerError, "internal", "internal error")
	}
}
