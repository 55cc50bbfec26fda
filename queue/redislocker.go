package queue

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// stateKeep is how long the state outlives the last leader: long enough for
// any failover, short enough that a cluster restarted after a break does not
// bring back requests whose stations have long gone.
const stateKeep = 5 * time.Minute

// The scripts check the holder and act in one step, so no other node can
// take the lock in between.
var (
	// KEYS: lock, state. ARGV: holder, ttl ms, state keep ms.
	lockScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if cur and cur ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 1`)
	// KEYS: lock. ARGV: holder.
	unlockScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)
	// KEYS: lock, state. ARGV: holder, state, state keep ms.
	saveScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
return 1`)
)

// RedisLocker is a Locker in Redis: the lock is a key set with NX semantics
// and a time to live; the state is a second key, kept for a while after the
// last leader.
type RedisLocker struct {
	client    *redis.Client
	lockKey   string
	stateKey  string
	keepState time.Duration
}

var _ Locker = (*RedisLocker)(nil)

// NewRedisLocker returns a Locker on the key (the state goes to key+":state").
// The client stays the caller's.
func NewRedisLocker(client *redis.Client, key string) *RedisLocker {
	return &RedisLocker{client: client, lockKey: key, stateKey: key + ":state", keepState: stateKeep}
}

// Lock takes or renews the lock; see Locker.
func (r *RedisLocker) Lock(ctx context.Context, holder string, ttl time.Duration) (bool, error) {
	keys := []string{r.lockKey, r.stateKey}
	n, err := lockScript.Run(ctx, r.client, keys, holder, ttl.Milliseconds(), r.keepState.Milliseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("lock %s: %w", r.lockKey, err)
	}
	return n == 1, nil
}

// Unlock releases the lock if holder has it.
func (r *RedisLocker) Unlock(ctx context.Context, holder string) error {
	if err := unlockScript.Run(ctx, r.client, []string{r.lockKey}, holder).Err(); err != nil {
		return fmt.Errorf("unlock %s: %w", r.lockKey, err)
	}
	return nil
}

// Save stores state if holder has the lock.
func (r *RedisLocker) Save(ctx context.Context, holder string, state []byte) error {
	keys := []string{r.lockKey, r.stateKey}
	n, err := saveScript.Run(ctx, r.client, keys, holder, state, r.keepState.Milliseconds()).Int()
	switch {
	case err != nil:
		return fmt.Errorf("save %s: %w", r.stateKey, err)
	case n != 1:
		return fmt.Errorf("save %s as %s: %w", r.stateKey, holder, ErrNotHolder)
	}
	return nil
}

// Load returns the state saved last.
func (r *RedisLocker) Load(ctx context.Context) ([]byte, error) {
	state, err := r.client.Get(ctx, r.stateKey).Bytes()
	switch {
	case errors.Is(err, redis.Nil):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("load %s: %w", r.stateKey, err)
	}
	return state, nil
}
