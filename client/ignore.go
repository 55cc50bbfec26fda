package client

// Ignore drops unsolicited messages of the given types from now on instead
// of keeping them for Next. A long-lived client that never reads the
// server's pushes (queue.stats, queue.position …) would otherwise grow its
// inbox for as long as it runs.
func (c *Client) Ignore(types ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ignored == nil {
		c.ignored = map[string]bool{}
	}
	for _, t := range types {
		c.ignored[t] = true
	}
}
