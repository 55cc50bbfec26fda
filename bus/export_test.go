package bus

// Queued is how many messages wait in topic's queue, for tests outside the
// package.
func (b *Local) Queued(topic string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if q := b.queues[topic]; q != nil {
		return len(q.waiting)
	}
	return 0
}

// QueueKey is the Redis list of topic's queue, for tests outside the package.
func (b *Redis) QueueKey(topic string) string { return b.queueKey(topic) }
