package auth

import (
	"context"
	"errors"
	"fmt"

	"cloudwindow/identity"
)

// DemoPassword is the password of every account SeedDemo creates.
const DemoPassword = "demo"

// DemoHelperPIN is the PIN of the demo station helper, helper1.
const DemoHelperPIN = "2468"

func demoAccounts() []Account {
	return []Account{
		{Username: "agent1", DisplayName: "王芳", Role: identity.RoleAgent,
			Skills: []string{"medical_insurance", "social_security", "long_term_care"}},
		{Username: "agent2", DisplayName: "李明", Role: identity.RoleAgent, Generalist: true},
		// The back office (后台审批), consulted by the front agents during a call.
		{Username: "backoffice1", DisplayName: "赵静", Role: identity.RoleAgent, Skills: []string{"backoffice"}},
		{Username: "supervisor1", DisplayName: "张主任", Role: identity.RoleSupervisor},
		{Username: "admin", DisplayName: "管理员", Role: identity.RoleAdmin},
		{Username: "station1", DisplayName: "东海社区远程帮办点", Role: identity.RoleStation, Region: "沈家门街道"},
		// A station helper (代办员) who signs in on the kiosk with DemoHelperPIN.
		{Username: "helper1", DisplayName: "东海渔嫂", Role: identity.RoleHelper, Region: "沈家门街道"},
		{Username: "island1", DisplayName: "鲁家峙岛远程帮办点", Role: identity.RoleStation, Region: "沈家门街道", Island: true},
	}
}

// SeedDemo creates the demo accounts that do not exist yet, all with
// DemoPassword. Existing accounts, demo or not, are left as they are, so it
// can run at every start.
func (s *Service) SeedDemo(ctx context.Context) error {
	for _, a := range demoAccounts() {
		_, err := s.AccountByUsername(ctx, a.Username)
		if err == nil {
			continue
		}
		if !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("seed demo: %w", err)
		}
		// The demo password is below the policy on purpose; it is set here
		// directly rather than through CreateAccount.
		password := DemoPassword
		if a.Role == identity.RoleHelper {
			password = DemoHelperPIN
		}
		_, err = s.insertAccount(ctx, a, password)
		if err != nil && !errors.Is(err, ErrUsernameTaken) {
			return fmt.Errorf("seed demo: %w", err)
		}
		if err == nil {
			s.opts.Logger.Info("created demo account", "username", a.Username, "role", a.Role)
		}
	}
	return nil
}

// EnsureAdmin creates the account "admin" with a generated password when no
// admin account exists, so a fresh install can be administered. The password
// is returned once for the operator to note; it is stored only hashed.
func (s *Service) EnsureAdmin(ctx context.Context) (password string, created bool, err error) {
	var admins int
	err = s.db.QueryRow(ctx, `SELECT COUNT(*) FROM accounts WHERE role = ?`, string(identity.RoleAdmin)).Scan(&admins)
	if err != nil {
		return "", false, fmt.Errorf("count admins: %w", err)
	}
	if admins > 0 {
		return "", false, nil
	}
	password = GeneratePassword()
	a := Account{Username: "admin", DisplayName: "管理员", Role: identity.RoleAdmin}
	_, err = s.insertAccount(ctx, a, password)
	if errors.Is(err, ErrUsernameTaken) {
		return "", false, nil // another node of the cluster was first
	}
	if err != nil {
		return "", false, fmt.Errorf("create first admin: %w", err)
	}
	return password, true, nil
}
