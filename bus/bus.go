// Package bus carries messages between the nodes of a Cloud Window cluster:
// notifications that every subscriber gets (Publish, Subscribe) and requests
// that exactly one handler answers (Request, Handle).
//
// Local works inside one process: a node running alone, and tests. Redis
// connects the nodes of a cluster. Both behave alike:
//
//   - A subscription gets every message published on its topic after
//     Subscribe returned, one at a time, in the order each publisher
//     published them. Its function must not block for long: it holds up the
//     subscription's later messages.
//   - A request goes to exactly one of the topic's handlers. A request made
//     while the topic has no handler waits for one until the request's
//     context ends, so requests made while a handler restarts (a new cluster
//     leader taking over) are answered by its successor. A request nobody took
//     in time fails with ErrNoHandler; one taken but not answered in time
//     fails with the context's error. A handler drops requests whose caller
//     has already given up.
//   - A handler serves one request at a time, so it must not make requests
//     to its own topic.
//
// Redis carries publications over pub/sub, which delivers at most once: a
// node cut off from Redis misses what was published meanwhile. Requests go
// through a Redis list per topic (LPUSH by the caller, BRPOP by the handlers),
// which hands each one to a single handler and keeps it while no handler is
// there; replies come back over pub/sub on a channel of the caller's own.
package bus

import (
	"context"
	"errors"
	"time"
)

// Bus is the message transport between nodes; see the package documentation
// for what callers may rely on.
type Bus interface {
	Publish(ctx context.Context, topic string, msg []byte) error
	// Subscribe calls fn for each message on topic, in order, one at a time.
	// Unsubscribe waits for a running fn to return, so fn must not call it.
	Subscribe(topic string, fn func(msg []byte)) (unsubscribe func())
	// Request sends msg to one handler of topic and returns its answer. It
	// waits until ctx ends, or DefaultRequestTimeout if ctx has no deadline.
	Request(ctx context.Context, topic string, msg []byte) ([]byte, error)
	// Handle answers requests on topic with fn until stop is called. Stop
	// waits for a running fn to return, so fn must not call it.
	Handle(topic string, fn func(ctx context.Context, msg []byte) ([]byte, error)) (stop func())
	// Close ends every subscription and handler; later calls fail with
	// ErrClosed.
	Close() error
}

// DefaultRequestTimeout bounds a Request whose context has no deadline.
const DefaultRequestTimeout = 10 * time.Second

// Errors returned by Bus methods, wrapped with context; test with errors.Is.
var (
	ErrClosed = errors.New("bus closed")
	// ErrNoHandler: no handler took the request before its context ended.
	ErrNoHandler = errors.New("no handler took the request")
	// ErrHandlerFailed: the handler returned an error, whose text follows.
	ErrHandlerFailed = errors.New("handler failed")
)

// withDeadline gives ctx the default request timeout if it has no deadline,
// since a request must not wait forever for a handler that never comes.
func withDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, DefaultRequestTimeout)
}
