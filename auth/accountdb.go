package auth

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"cloudwindow/identity"
	"cloudwindow/store"
)

// rowQuerier is what both *store.DB and *store.Tx offer, so reads can run
// inside or outside a transaction.
type rowQuerier interface {
	QueryRow(ctx context.Context, query string, args ...any) *sql.Row
}

const selectAccount = `SELECT a.id, a.username, a.display_name, a.role, a.disabled, a.skills, a.generalist,
	a.created_at, a.updated_at, COALESCE(s.region, ''), COALESCE(s.island, FALSE), a.sessions_valid_after, a.password_hash
	FROM accounts a LEFT JOIN stations s ON s.account_id = a.id`

type rowScanner interface {
	Scan(dest ...any) error
}

// scanAccount reads a row of selectAccount, returning the password hash
// apart so it never travels inside an Account.
func scanAccount(row rowScanner) (Account, []byte, error) {
	var a Account
	var role, skills, hash string
	var created, updated, validAfter int64
	err := row.Scan(&a.ID, &a.Username, &a.DisplayName, &role, &a.Disabled, &skills, &a.Generalist,
		&created, &updated, &a.Region, &a.Island, &validAfter, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return Account{}, nil, ErrNotFound
	}
	if err != nil {
		return Account{}, nil, fmt.Errorf("scan account: %w", err)
	}
	if err := json.Unmarshal([]byte(skills), &a.Skills); err != nil {
		return Account{}, nil, fmt.Errorf("account %s: skills: %w", a.ID, err)
	}
	if len(a.Skills) == 0 {
		a.Skills = nil
	}
	a.Role, a.CreatedAt, a.UpdatedAt = identity.Role(role), store.Time(created), store.Time(updated)
	a.sessionsValidAfter = store.Time(validAfter)
	return a, []byte(hash), nil
}

func loadAccount(ctx context.Context, q rowQuerier, id string) (Account, error) {
	a, _, err := scanAccount(q.QueryRow(ctx, selectAccount+` WHERE a.id = ?`, id))
	if err != nil {
		return Account{}, fmt.Errorf("load account %s: %w", id, err)
	}
	return a, nil
}

func (s *Service) accountWithHash(ctx context.Context, username string) (Account, []byte, error) {
	a, hash, err := scanAccount(s.db.QueryRow(ctx, selectAccount+` WHERE a.username = ?`, username))
	if err != nil {
		return Account{}, nil, fmt.Errorf("load account %q: %w", username, err)
	}
	return a, hash, nil
}

func (s *Service) listAccounts(ctx context.Context, role identity.Role) ([]Account, error) {
	q, args := selectAccount, []any{}
	if role != "" {
		q, args = q+` WHERE a.role = ?`, append(args, string(role))
	}
	rows, err := s.db.Query(ctx, q+` ORDER BY a.role, a.username`, args...)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	defer rows.Close()
	out := []Account{}
	for rows.Next() {
		a, _, err := scanAccount(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	return out, nil
}

// insertAccount stores a validated account with password; a station also
// gets its site row.
func (s *Service) insertAccount(ctx context.Context, a Account, password string) (Account, error) {
	hash, err := s.hasher.hash(password)
	if err != nil {
		return Account{}, err
	}
	now := s.now()
	a.ID, a.CreatedAt, a.UpdatedAt = uuid.NewString(), now.Truncate(time.Millisecond), now.Truncate(time.Millisecond)
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO accounts (id, username, display_name, role, password_hash, disabled,
			skills, generalist, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			a.ID, a.Username, a.DisplayName, string(a.Role), string(hash), a.Disabled,
			skillsJSON(a.Skills), a.Generalist, store.Millis(now), store.Millis(now))
		if err != nil || a.Role != identity.RoleStation {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO stations (account_id, name, region, island) VALUES (?, ?, ?, ?)`,
			a.ID, a.DisplayName, a.Region, a.Island)
		return err
	})
	if err != nil {
		// The unique index is the arbiter when two creations race.
		if _, _, lookupErr := s.accountWithHash(ctx, a.Username); lookupErr == nil {
			return Account{}, fmt.Errorf("create account %q: %w", a.Username, ErrUsernameTaken)
		}
		return Account{}, fmt.Errorf("create account %q: %w", a.Username, err)
	}
	return a, nil
}

func skillsJSON(skills []string) string {
	if len(skills) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(skills) // a []string always marshals
	return string(b)
}
