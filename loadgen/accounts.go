package loadgen

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/crypto/bcrypt"

	"cloudwindow/auth"
	"cloudwindow/identity"
	"cloudwindow/store"
)

// DefaultPassword is the password of the load accounts unless one is given.
const DefaultPassword = "loadgen-secret"

// StationUsername and AgentUsername name the i-th load account (from 0).
func StationUsername(i int) string { return fmt.Sprintf("lg-station-%04d", i) }

// AgentUsername names the i-th load agent (from 0).
func AgentUsername(i int) string { return fmt.Sprintf("lg-agent-%04d", i) }

// CreateAccounts creates the load stations and agents (generalists) that do
// not exist yet, all with password. It is idempotent.
func CreateAccounts(ctx context.Context, svc *auth.Service, stations, agents int, password string) error {
	for i := range stations {
		_, err := svc.CreateStation(ctx, auth.NewStation{
			Username: StationUsername(i), Password: password,
			Name: fmt.Sprintf("压测帮办点 %04d", i), Region: "压测街道", Island: i%5 == 0,
		})
		if err != nil && !errors.Is(err, auth.ErrUsernameTaken) {
			return fmt.Errorf("create station %s: %w", StationUsername(i), err)
		}
	}
	for i := range agents {
		_, err := svc.CreateAccount(ctx, auth.NewAccount{
			Username: AgentUsername(i), Password: password, Role: identity.RoleAgent,
			DisplayName: fmt.Sprintf("压测坐席 %04d", i), Generalist: true,
		})
		if err != nil && !errors.Is(err, auth.ErrUsernameTaken) {
			return fmt.Errorf("create agent %s: %w", AgentUsername(i), err)
		}
	}
	return nil
}

// PrepareDataDir creates the load accounts in a node's data directory
// before the node starts. Their passwords are hashed at bcrypt's lowest
// cost: thousands of load logins would otherwise cost the node under test
// minutes of CPU that no real kiosk fleet spends at once. Use such a data
// directory for benchmarks only.
func PrepareDataDir(ctx context.Context, dir string, stations, agents int, password string) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	db, err := store.Open(ctx, filepath.Join(dir, "cloudwindow.db"))
	if err != nil {
		return fmt.Errorf("open store in %s: %w", dir, err)
	}
	defer db.Close()
	// The node seals its signing key with the key it keeps in the data
	// directory (when not configured otherwise); open it the same way.
	keks, err := auth.LoadKeyEncryptionKeys("", "", auth.DefaultKeyEncryptionKeyFile(dir))
	if err != nil {
		return fmt.Errorf("open accounts: %w", err)
	}
	svc, err := auth.NewService(db, auth.Options{BcryptCost: bcrypt.MinCost, KeyEncryptionKeys: keks})
	if err != nil {
		return fmt.Errorf("open accounts: %w", err)
	}
	return CreateAccounts(ctx, svc, stations, agents, password)
}
