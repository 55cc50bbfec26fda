package auth

import (
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"cloudwindow/identity"
)

// Account is a stored account as admins see it. It never carries the
// password hash.
type Account struct {
	ID          string        `json:"id"`
	Username    string        `json:"username"`
	DisplayName string        `json:"display_name"` // a station's site name
	Role        identity.Role `json:"role"`
	Disabled    bool          `json:"disabled"`
	Skills      []string      `json:"skills,omitempty"`
	Generalist  bool          `json:"generalist,omitempty"`
	Region      string        `json:"region,omitempty"`
	Island      bool          `json:"island,omitempty"`
	CreatedAt   time.Time     `json:"created_at"`
	UpdatedAt   time.Time     `json:"updated_at"`

	// sessionsValidAfter ends every login session started before it.
	sessionsValidAfter time.Time
}

// Identity is what a token for this account vouches for.
func (a Account) Identity() identity.Identity {
	return identity.Identity{
		AccountID:   a.ID,
		Username:    a.Username,
		DisplayName: a.DisplayName,
		Role:        a.Role,
		Skills:      slices.Clone(a.Skills),
		Generalist:  a.Generalist,
		Region:      a.Region,
		Island:      a.Island,
	}
}

// NewAccount describes a person's account: an agent, supervisor or admin.
// Skills and Generalist apply to agents only.
type NewAccount struct {
	Username    string        `json:"username"`
	Password    string        `json:"password"`
	DisplayName string        `json:"display_name"`
	Role        identity.Role `json:"role"`
	Skills      []string      `json:"skills"`
	Generalist  bool          `json:"generalist"`
}

// account validates n and returns the account it describes; the password
// is checked separately.
func (n NewAccount) account() (Account, error) {
	a := Account{
		Username:    normalizeUsername(n.Username),
		DisplayName: strings.TrimSpace(n.DisplayName),
		Role:        n.Role,
		Skills:      slices.Clone(n.Skills),
		Generalist:  n.Generalist,
	}
	if a.Role == identity.RoleStation || !a.Role.Valid() {
		return Account{}, invalid("role", "must be agent, supervisor or admin")
	}
	if err := validateUsername(a.Username); err != nil {
		return Account{}, err
	}
	if err := validateText("display_name", a.DisplayName); err != nil {
		return Account{}, err
	}
	return a, validateAbilities(a)
}

// NewStation describes a station: a kiosk device whose username is its
// device id and whose password is its device secret.
type NewStation struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Name     string `json:"name"`
	Region   string `json:"region"`
	Island   bool   `json:"island"`
}

func (n NewStation) account() (Account, error) {
	a := Account{
		Username:    normalizeUsername(n.Username),
		DisplayName: strings.TrimSpace(n.Name),
		Role:        identity.RoleStation,
		Region:      strings.TrimSpace(n.Region),
		Island:      n.Island,
	}
	if err := validateUsername(a.Username); err != nil {
		return Account{}, err
	}
	if err := validateText("name", a.DisplayName); err != nil {
		return Account{}, err
	}
	return a, validateText("region", a.Region)
}

// AccountChange lists the fields to change; nil fields stay as they are.
type AccountChange struct {
	DisplayName *string   `json:"display_name"`
	Disabled    *bool     `json:"disabled"`
	Skills      *[]string `json:"skills"`
	Generalist  *bool     `json:"generalist"`
	Password    *string   `json:"password"`
}

// apply returns a with c applied, validated.
func (c AccountChange) apply(a Account) (Account, error) {
	if c.DisplayName != nil {
		a.DisplayName = strings.TrimSpace(*c.DisplayName)
		if err := validateText("display_name", a.DisplayName); err != nil {
			return Account{}, err
		}
	}
	if c.Disabled != nil {
		a.Disabled = *c.Disabled
	}
	if c.Skills != nil {
		a.Skills = slices.Clone(*c.Skills)
	}
	if c.Generalist != nil {
		a.Generalist = *c.Generalist
	}
	if c.Skills != nil || c.Generalist != nil {
		if err := validateAbilities(a); err != nil {
			return Account{}, err
		}
	}
	return a, nil
}

// validateAbilities checks skills and the generalist flag against the role.
func validateAbilities(a Account) error {
	if a.Role == identity.RoleAgent {
		return validateSkills(a.Skills, a.Generalist)
	}
	if len(a.Skills) > 0 || a.Generalist {
		return invalid("skills", "only agents have skills or the generalist flag")
	}
	return nil
}

// Usernames are compared lower-case so that a kiosk's device id or a person's
// name works however it is typed.
func normalizeUsername(u string) string { return strings.ToLower(strings.TrimSpace(u)) }

const maxUsernameLen = 64

func validateUsername(u string) error {
	if len(u) < 2 || len(u) > maxUsernameLen {
		return invalid("username", "must be 2 to %d characters", maxUsernameLen)
	}
	for i, r := range u {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || i > 0 && strings.ContainsRune("._-", r)
		if !ok {
			return invalid("username", "may hold only letters a-z, digits and . _ - (starting with a letter or digit)")
		}
	}
	return nil
}

const maxTextLen = 64

func isBidiControl(r rune) bool { return unicode.Is(unicode.Bidi_Control, r) }

// validateText checks a name shown to people: present, short, printable.
func validateText(field, s string) error {
	if s == "" {
		return invalid(field, "is required")
	}
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > maxTextLen {
		return invalid(field, "must be at most %d characters of valid text", maxTextLen)
	}
	if strings.ContainsFunc(s, unicode.IsControl) {
		return invalid(field, "must not contain control characters")
	}
	// Direction overrides let a name show as something else (a station
	// named "‮点办帮" reads backwards on every screen it is shown on).
	if strings.ContainsFunc(s, isBidiControl) {
		return invalid(field, "must not contain text direction control characters")
	}
	return nil
}
