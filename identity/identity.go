// Package identity says who is behind a request or a session: the verified
// account and its role. The auth package issues and checks the tokens that
// carry it; the services that authorise by role need only this.
package identity

// Role decides what an account may do.
type Role string

// The roles. A station is a kiosk device, not a person.
const (
	RoleStation    Role = "station"
	RoleAgent      Role = "agent"
	RoleSupervisor Role = "supervisor"
	RoleAdmin      Role = "admin"
	// RoleHelper is a station helper (代办员): they sign in on a kiosk with
	// their PIN to be recorded as acting for the resident, nothing more.
	RoleHelper Role = "helper"
	// RoleGuest is someone invited into one call by its agent (a family
	// member, an interpreter). It is never an account: a guest's identity
	// comes from a one-time invitation and lasts as long as that call.
	RoleGuest Role = "guest"
)

// Valid reports whether r is one of the known account roles (a guest is
// not an account).
func (r Role) Valid() bool {
	switch r {
	case RoleStation, RoleAgent, RoleSupervisor, RoleAdmin, RoleHelper:
		return true
	}
	return false
}

// Identity is the verified account behind a token.
type Identity struct {
	AccountID   string   `json:"id"`
	Username    string   `json:"username"`
	DisplayName string   `json:"display_name"`
	Role        Role     `json:"role"`
	Skills      []string `json:"skills,omitempty"`     // agents: skill groups they handle
	Generalist  bool     `json:"generalist,omitempty"` // agents: may take any item
	Region      string   `json:"region,omitempty"`     // stations
	Island      bool     `json:"island,omitempty"`     // stations on an island site
	// Session is the login session the token belongs to (empty for tokens
	// issued before sessions existed). It is not shown to clients.
	Session string `json:"-"`
}
