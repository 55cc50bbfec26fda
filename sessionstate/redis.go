package sessionstate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is a Store shared by the nodes of a cluster: one JSON value per
// account, expiring with the session.
type Redis struct {
	client *redis.Client
	prefix string
}

// NewRedis returns a Store on client whose keys start with prefix.
func NewRedis(client *redis.Client, prefix string) *Redis {
	return &Redis{client: client, prefix: prefix + "session:"}
}

func (s *Redis) key(accountID string) string { return s.prefix + accountID }

// Save implements Store.
func (s *Redis) Save(ctx context.Context, r Record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode session %s: %w", r.ID, err)
	}
	ttl := time.Until(r.ExpiresAt)
	if ttl <= 0 {
		return s.Delete(ctx, r.AccountID, r.ID)
	}
	if err := s.client.Set(ctx, s.key(r.AccountID), b, ttl).Err(); err != nil {
		return fmt.Errorf("save session of %s: %w", r.AccountID, err)
	}
	return nil
}

// Load implements Store.
func (s *Redis) Load(ctx context.Context, accountID string) (Record, error) {
	b, err := s.client.Get(ctx, s.key(accountID)).Bytes()
	if errors.Is(err, redis.Nil) {
		return Record{}, ErrNotFound
	}
	if err != nil {
		return Record{}, fmt.Errorf("load session of %s: %w", accountID, err)
	}
	var r Record
	if err := json.Unmarshal(b, &r); err != nil {
		return Record{}, fmt.Errorf("decode session of %s: %w", accountID, err)
	}
	return r, nil
}

// deleteIfSession removes KEYS[1] only while it holds session ARGV[1], in
// one step so that a successor saved meanwhile stays.
var deleteIfSession = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v and cjson.decode(v).id == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)

// Delete implements Store.
func (s *Redis) Delete(ctx context.Context, accountID, sessionID string) error {
	if err := deleteIfSession.Run(ctx, s.client, []string{s.key(accountID)}, sessionID).Err(); err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("delete session of %s: %w", accountID, err)
	}
	return nil
}
