package queue

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// stateKeep is how long the state outlives the last leader: long enough for
// any failover, short enough that a cluster restarted after a break does not
// bring back requests whose stations have long gone.
const stateKeep = 5 * time.Minute

// The scripts check the holder and act in one step, so no other node can
// take the lock in between, and a change is saved whole or not at all.
var (
	// KEYS: lock, meta, requests, order, agents. ARGV: holder, ttl ms, state keep ms.
	lockScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if cur and cur ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
for k = 2, 5 do redis.call('PEXPIRE', KEYS[k], ARGV[3]) end
return 1`)
	// KEYS: lock. ARGV: holder.
	unlockScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)
	// KEYS: lock, meta, requests, order, agents, legacy snapshot.
	// ARGV: holder, state keep ms, reset (1/0), meta ('' unchanged), then
	// four counted lists: requests put (id, order, data), requests removed
	// (id), agents put (id, data), agents removed (id).
	saveScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[3] == '1' then redis.call('DEL', KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]) end
if ARGV[4] ~= '' then redis.call('SET', KEYS[2], ARGV[4]) end
local i = 6
for _ = 1, tonumber(ARGV[5]) do
  redis.call('HSET', KEYS[3], ARGV[i], ARGV[i+2])
  redis.call('ZADD', KEYS[4], ARGV[i+1], ARGV[i])
  i = i + 3
end
local n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do
  redis.call('HDEL', KEYS[3], ARGV[i])
  redis.call('ZREM', KEYS[4], ARGV[i])
  i = i + 1
end
n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do
  redis.call('HSET', KEYS[5], ARGV[i], ARGV[i+1])
  i = i + 2
end
n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do
  redis.call('HDEL', KEYS[5], ARGV[i])
  i = i + 1
end
for k = 2, 5 do redis.call('PEXPIRE', KEYS[k], ARGV[2]) end
return 1`)
)

// RedisLocker is a Locker in Redis. The lock is a key set with NX semantics
// and a time to live. The state lives next to it, kept for a while after the
// last leader, in four keys that a change touches only where it changed
// something: key:meta (the queue's counters), key:requests (a hash of the
// waiting requests by id), key:order (a sorted set of their ids, scored by
// their place in the queue's order) and key:agents (a hash of the agents by
// id).
type RedisLocker struct {
	client    *redis.Client
	lockKey   string
	keys      stateKeys
	keepState time.Duration
}

// stateKeys name the state's keys. legacy is where earlier versions saved
// the whole queue as one value on every change.
type stateKeys struct {
	meta, requests, order, agents, legacy string
}

var _ Locker = (*RedisLocker)(nil)

// NewRedisLocker returns a Locker on the key; the state goes to keys named
// after it. The client stays the caller's.
func NewRedisLocker(client *redis.Client, key string) *RedisLocker {
	return &RedisLocker{
		client: client, lockKey: key, keepState: stateKeep,
		keys: stateKeys{
			meta: key + ":meta", requests: key + ":requests", order: key + ":order",
			agents: key + ":agents", legacy: key + ":state",
		},
	}
}

// Lock takes or renews the lock; see Locker.
func (r *RedisLocker) Lock(ctx context.Context, holder string, ttl time.Duration) (bool, error) {
	keys := []string{r.lockKey, r.keys.meta, r.keys.requests, r.keys.order, r.keys.agents}
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

// Save applies the change, in one round trip, if holder has the lock.
func (r *RedisLocker) Save(ctx context.Context, holder string, c StateChange) error {
	keys := []string{r.lockKey, r.keys.meta, r.keys.requests, r.keys.order, r.keys.agents, r.keys.legacy}
	n, err := saveScript.Run(ctx, r.client, keys, saveArgs(holder, r.keepState, c)...).Int()
	switch {
	case err != nil:
		return fmt.Errorf("save queue state under %s: %w", r.lockKey, err)
	case n != 1:
		return fmt.Errorf("save queue state under %s as %s: %w", r.lockKey, holder, ErrNotHolder)
	}
	return nil
}

// saveArgs lays the change out as saveScript reads it.
func saveArgs(holder string, keep time.Duration, c StateChange) []any {
	reset := "0"
	if c.Reset {
		reset = "1"
	}
	args := make([]any, 0, 8+3*len(c.Requests)+len(c.RemovedRequests)+2*len(c.Agents)+len(c.RemovedAgents))
	args = append(args, holder, keep.Milliseconds(), reset, c.Meta, len(c.Requests))
	for _, e := range c.Requests {
		args = append(args, e.ID, strconv.FormatUint(e.Order, 10), e.Data)
	}
	args = append(args, len(c.RemovedRequests))
	for _, id := range c.RemovedRequests {
		args = append(args, id)
	}
	args = append(args, len(c.Agents))
	for _, e := range c.Agents {
		args = append(args, e.ID, e.Data)
	}
	args = append(args, len(c.RemovedAgents))
	for _, id := range c.RemovedAgents {
		args = append(args, id)
	}
	return args
}

// Load returns the state as saved, read in one transaction. A whole-queue
// value an earlier version saved is read instead, once: it is newer than
// any entries, since the first save of every leader of this version
// removes it.
func (r *RedisLocker) Load(ctx context.Context) (SavedState, error) {
	var (
		meta, legacy     *redis.StringCmd
		order            *redis.ZSliceCmd
		requests, agents *redis.MapStringStringCmd
	)
	_, err := r.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		meta, legacy = p.Get(ctx, r.keys.meta), p.Get(ctx, r.keys.legacy)
		order = p.ZRangeWithScores(ctx, r.keys.order, 0, -1)
		requests, agents = p.HGetAll(ctx, r.keys.requests), p.HGetAll(ctx, r.keys.agents)
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return SavedState{}, fmt.Errorf("load queue state under %s: %w", r.lockKey, err)
	}
	if data, err := legacy.Bytes(); err == nil {
		return legacyState(data)
	}
	var s SavedState
	if data, err := meta.Bytes(); err == nil {
		s.Meta = data
	}
	for _, z := range order.Val() {
		id, _ := z.Member.(string)
		if data, ok := requests.Val()[id]; ok {
			s.Requests = append(s.Requests, StateEntry{ID: id, Order: uint64(z.Score), Data: []byte(data)})
		}
	}
	for id, data := range agents.Val() {
		s.Agents = append(s.Agents, StateEntry{ID: id, Data: []byte(data)})
	}
	slices.SortFunc(s.Agents, func(a, b StateEntry) int { return cmp.Compare(a.ID, b.ID) })
	return s, nil
}
