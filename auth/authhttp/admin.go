package authhttp

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"cloudwindow/auth"
	"cloudwindow/httpapi"
	"cloudwindow/identity"
)

func (h *handler) listAccounts(w http.ResponseWriter, r *http.Request) {
	h.writeAccounts(w, r, identity.Role(r.URL.Query().Get("role")))
}

func (h *handler) listStations(w http.ResponseWriter, r *http.Request) {
	h.writeAccounts(w, r, identity.RoleStation)
}

func (h *handler) writeAccounts(w http.ResponseWriter, r *http.Request, role identity.Role) {
	accounts, err := h.auth.Accounts(r.Context(), role)
	if err != nil {
		h.writeError(w, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string][]auth.Account{"accounts": accounts})
}

// created is the answer to a create request. Password is set only when the
// server generated it: this is the one time it is shown.
type created struct {
	Account  auth.Account `json:"account"`
	Password string       `json:"password,omitempty"`
}

func (h *handler) createAccount(w http.ResponseWriter, r *http.Request) {
	var n auth.NewAccount
	if !httpapi.DecodeJSON(w, r, &n, 0) {
		return
	}
	if n.Role == identity.RoleStation {
		httpapi.WriteError(w, http.StatusBadRequest, "invalid", "role: create stations with POST /api/v1/admin/stations")
		return
	}
	var generated string
	if n.Password == "" {
		generated = auth.GeneratePassword()
		n.Password = generated
	}
	a, err := h.auth.CreateAccount(r.Context(), n)
	if err != nil {
		h.writeError(w, err)
		return
	}
	detail := fmt.Sprintf("role=%s skills=%s generalist=%t", a.Role, strings.Join(a.Skills, ","), a.Generalist)
	h.recorded(w, r, "account.create", a.ID, detail, created{Account: a, Password: generated})
}

func (h *handler) createStation(w http.ResponseWriter, r *http.Request) {
	var n auth.NewStation
	if !httpapi.DecodeJSON(w, r, &n, 0) {
		return
	}
	var generated string
	if n.Password == "" {
		generated = auth.GenerateDeviceSecret()
		n.Password = generated
	}
	a, err := h.auth.CreateStation(r.Context(), n)
	if err != nil {
		h.writeError(w, err)
		return
	}
	detail := fmt.Sprintf("name=%s region=%s island=%t", a.DisplayName, a.Region, a.Island)
	h.recorded(w, r, "station.create", a.ID, detail, created{Account: a, Password: generated})
}

func (h *handler) updateAccount(w http.ResponseWriter, r *http.Request) {
	var c auth.AccountChange
	if !httpapi.DecodeJSON(w, r, &c, 0) {
		return
	}
	if c == (auth.AccountChange{}) {
		httpapi.WriteError(w, http.StatusBadRequest, "invalid", "nothing to change: give disabled, skills, generalist, display_name or password")
		return
	}
	a, err := h.auth.UpdateAccount(r.Context(), r.PathValue("id"), c)
	if err != nil {
		h.writeError(w, err)
		return
	}
	h.recorded(w, r, "account.update", a.ID, describeChange(c), a)
}

// logoutAccountEverywhere ends every session of an account, e.g. a
// station kiosk that was stolen, without disabling it.
func (h *handler) logoutAccountEverywhere(w http.ResponseWriter, r *http.Request) {
	a, err := h.auth.Account(r.Context(), r.PathValue("id"))
	if err != nil {
		h.writeError(w, err)
		return
	}
	if err := h.auth.LogoutEverywhere(r.Context(), a.ID); err != nil {
		h.writeError(w, err)
		return
	}
	h.recorded(w, r, "account.logout_everywhere", a.ID, "all sessions ended", a)
}

// describeChange says what changed for the audit log; a new password is
// noted, never written.
func describeChange(c auth.AccountChange) string {
	var parts []string
	if c.DisplayName != nil {
		parts = append(parts, "display_name="+*c.DisplayName)
	}
	if c.Disabled != nil {
		parts = append(parts, fmt.Sprintf("disabled=%t", *c.Disabled))
	}
	if c.Skills != nil {
		parts = append(parts, "skills="+strings.Join(*c.Skills, ","))
	}
	if c.Generalist != nil {
		parts = append(parts, fmt.Sprintf("generalist=%t", *c.Generalist))
	}
	if c.Password != nil {
		parts = append(parts, "password changed")
	}
	return strings.Join(parts, " ")
}

// recorded writes the audit entry for a change already made and then the
// response. The change cannot be undone, so a failed audit write is logged
// loudly and reported to the admin as a server error.
func (h *handler) recorded(w http.ResponseWriter, r *http.Request, action, accountID, detail string, body any) {
	actor, _ := httpapi.IdentityFrom(r.Context())
	ctx := context.WithoutCancel(r.Context()) // record even if the client hung up
	if err := h.audit.Record(ctx, actor, action, "account", accountID, httpapi.RemoteAddr(r), detail); err != nil {
		h.log.Error("admin change not audited", "action", action, "account", accountID, "actor", actor.Username, "err", err)
		httpapi.WriteError(w, http.StatusInternalServerError, "audit_failed", "the change was saved but could not be written to the audit log")
		return
	}
	status := http.StatusOK
	if strings.HasSuffix(action, ".create") {
		status = http.StatusCreated
	}
	httpapi.WriteJSON(w, status, body)
}
