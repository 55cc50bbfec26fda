// Package bustest connects tests to the Redis a cluster's bus and queue use.
package bustest

import (
	"context"
	"os"
	"testing"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
)

// OpenRedis connects to the Redis named by CLOUDWINDOW_TEST_REDIS and
// returns a key prefix of the test's own, whose keys are deleted when the
// test ends, so that tests of every package can share one Redis.
func OpenRedis(t testing.TB) (*redis.Client, string) {
	t.Helper()
	opts, err := redis.ParseURL(os.Getenv("CLOUDWINDOW_TEST_REDIS"))
	if err != nil {
		t.Fatalf("CLOUDWINDOW_TEST_REDIS: %v", err)
	}
	client := redis.NewClient(opts)
	prefix := "test:" + uuid.NewString() + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		keys, err := client.Keys(ctx, prefix+"*").Result()
		if err == nil && len(keys) > 0 {
			err = client.Del(ctx, keys...).Err()
		}
		if err != nil {
			t.Errorf("clean up redis: %v", err)
		}
		client.Close()
	})
	return client, prefix
}
