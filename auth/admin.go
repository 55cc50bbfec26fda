package auth

import (
	"context"
	"fmt"

	"cloudwindow/identity"
	"cloudwindow/store"
)

// CreateAccount creates an agent, supervisor or admin.
func (s *Service) CreateAccount(ctx context.Context, n NewAccount) (Account, error) {
	a, err := n.account()
	if err != nil {
		return Account{}, err
	}
	if err := validatePassword(n.Password); err != nil {
		return Account{}, err
	}
	return s.insertAccount(ctx, a, n.Password)
}

// CreateStation creates a station device account and its site.
func (s *Service) CreateStation(ctx context.Context, n NewStation) (Account, error) {
	a, err := n.account()
	if err != nil {
		return Account{}, err
	}
	if err := validatePassword(n.Password); err != nil {
		return Account{}, err
	}
	return s.insertAccount(ctx, a, n.Password)
}

// SetDisabled disables or enables an account. Disabling ends its sessions.
func (s *Service) SetDisabled(ctx context.Context, id string, disabled bool) error {
	_, err := s.UpdateAccount(ctx, id, AccountChange{Disabled: &disabled})
	return err
}

// SetPassword replaces an account's password and ends its sessions.
func (s *Service) SetPassword(ctx context.Context, id, password string) error {
	_, err := s.UpdateAccount(ctx, id, AccountChange{Password: &password})
	return err
}

// UpdateAgent replaces an agent's skills and generalist flag.
func (s *Service) UpdateAgent(ctx context.Context, id string, skills []string, generalist bool) error {
	if skills == nil {
		skills = []string{}
	}
	_, err := s.UpdateAccount(ctx, id, AccountChange{Skills: &skills, Generalist: &generalist})
	return err
}

// UpdateAccount applies c in one transaction: either every change is saved
// or, on invalid input, none is.
func (s *Service) UpdateAccount(ctx context.Context, id string, c AccountChange) (Account, error) {
	var hash []byte
	if c.Password != nil {
		if err := validatePassword(*c.Password); err != nil {
			return Account{}, err
		}
		var err error
		if hash, err = s.hasher.hash(*c.Password); err != nil {
			return Account{}, err
		}
	}
	var updated Account
	var endReason string
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		updated, endReason, err = s.updateInTx(ctx, tx, id, c, hash)
		return err
	})
	s.cache.forget(id)
	if err != nil {
		return Account{}, fmt.Errorf("update account %s: %w", id, err)
	}
	if endReason != "" {
		s.ended(SessionsEnded{AccountID: id, Reason: endReason})
	}
	return updated, nil
}

// updateInTx applies c and, when the change ends the account's sessions
// (disabling, a new password), returns why.
func (s *Service) updateInTx(ctx context.Context, tx *store.Tx, id string, c AccountChange, hash []byte) (Account, string, error) {
	now := s.now()
	// Writing first takes SQLite's write lock before the reads below, so a
	// concurrent writer cannot invalidate them.
	res, err := tx.Exec(ctx, `UPDATE accounts SET updated_at = ? WHERE id = ?`, store.Millis(now), id)
	if err != nil {
		return Account{}, "", err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return Account{}, "", ErrNotFound
	}
	old, err := loadAccount(ctx, tx, id)
	if err != nil {
		return Account{}, "", err
	}
	a, err := c.apply(old)
	if err != nil {
		return Account{}, "", err
	}
	if a.Disabled && !old.Disabled && a.Role == identity.RoleAdmin {
		if err := ensureOtherAdmin(ctx, tx, id); err != nil {
			return Account{}, "", err
		}
	}
	if err := writeAccount(ctx, tx, a, hash); err != nil {
		return Account{}, "", err
	}
	reason := ""
	switch {
	case a.Disabled && !old.Disabled:
		reason = EndDisabled
	case hash != nil:
		reason = EndPasswordChanged
	}
	if reason != "" {
		if err := endAllSessions(ctx, tx, id, now); err != nil {
			return Account{}, "", err
		}
	}
	updated, err := loadAccount(ctx, tx, id)
	return updated, reason, err
}

func ensureOtherAdmin(ctx context.Context, tx *store.Tx, id string) error {
	var others int
	err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM accounts WHERE role = ? AND NOT disabled AND id <> ?`,
		string(identity.RoleAdmin), id).Scan(&others)
	if err != nil {
		return fmt.Errorf("count admins: %w", err)
	}
	if others == 0 {
		return ErrLastAdmin
	}
	return nil
}

func writeAccount(ctx context.Context, tx *store.Tx, a Account, hash []byte) error {
	_, err := tx.Exec(ctx, `UPDATE accounts SET display_name = ?, disabled = ?, skills = ?, generalist = ? WHERE id = ?`,
		a.DisplayName, a.Disabled, skillsJSON(a.Skills), a.Generalist, a.ID)
	if err != nil {
		return err
	}
	if a.Role == identity.RoleStation {
		if _, err := tx.Exec(ctx, `UPDATE stations SET name = ? WHERE account_id = ?`, a.DisplayName, a.ID); err != nil {
			return err
		}
	}
	if hash != nil {
		_, err = tx.Exec(ctx, `UPDATE accounts SET password_hash = ? WHERE id = ?`, string(hash), a.ID)
	}
	return err
}

// Accounts lists accounts of role, or all accounts when role is empty.
func (s *Service) Accounts(ctx context.Context, role identity.Role) ([]Account, error) {
	if role != "" && !role.Valid() {
		return nil, invalid("role", "unknown role %q", role)
	}
	return s.listAccounts(ctx, role)
}

// Account returns one account by id; ErrNotFound if there is none.
func (s *Service) Account(ctx context.Context, id string) (Account, error) {
	return loadAccount(ctx, s.db, id)
}

// AccountByUsername returns one account by username; ErrNotFound if there
// is none.
func (s *Service) AccountByUsername(ctx context.Context, username string) (Account, error) {
	a, _, err := s.accountWithHash(ctx, normalizeUsername(username))
	return a, err
}
