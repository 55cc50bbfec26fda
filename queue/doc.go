// Package queue orders residents' call requests and routes them to center agents
// (the ACD of Cloud Window).
//
// A station enqueues one request at a time, or any number of numbered
// tickets (取号), each with a place of its own; see tickets.go for how a
// ticket is called at its kiosk, goes back once and lapses. Waiting requests are served in three
// classes: green channel (elderly, disabled, pregnant residents) first, then
// appointments whose time has come, then everything else; each class is first
// come, first served. An appointment that is not yet due waits with the plain
// requests and joins the due class when its time comes, behind appointments that
// fell due earlier.
//
// Each request is offered to one ready agent at a time, and each agent rings with
// at most one request. The agent chosen is the longest-idle ready agent whose
// skills cover the request's skill group; when none is ready, the longest-idle
// ready generalist gets it (a request without a skill group goes to generalists
// only). Idle time counts from when the agent last became ready. A request nobody
// ready can serve is passed over, so it never holds up the requests behind it.
//
// Each waiting station is told its 1-based position in the whole queue and an
// estimated wait from recent handle times (see estimateWait), again whenever
// either changes.
//
// An offer ends in one of four ways:
//   - accept: the agent goes busy and the request leaves the queue;
//   - reject: the agent stays ready and the request is offered to someone else;
//   - ring timeout: the silent agent is marked not ready (they are probably away
//     from the seat) and the request is offered to the next agent;
//   - the station cancels, or the agent goes offline or not ready: the request,
//     if still waiting, is offered again.
//
// A rejecting agent is not offered the same request again while another agent who
// can serve it is working (ready, busy or wrapping up); only when nobody else is,
// the request goes back to the rejecter, because a resident left waiting with no
// one to take the call is worse than asking the same agent twice.
//
// Listener callbacks are never made while the queue's lock is held; they arrive in
// the order the changes happened, and a listener may call back into the queue.
//
// # Cluster
//
// Local is the queue of a node running alone. In a cluster each node has a
// Cluster, and one of them, the leader, runs the queue in a Local, so that every
// routing rule and timer stays in one place; the other nodes forward each call to
// it over the bus. The leader publishes the Local's events and every node, the
// leader included, hands them to its own Listener: a node's listener hears about
// every station and agent and ignores those whose sessions it does not hold. A
// call returns once the node that made it has delivered the events it caused
// (unless another goroutine is delivering, as with Local).
//
// The leader is whoever holds the Locker's lock (in Redis: SET NX with a time to
// live). It renews the lock every third of Config.LeaderTTL and steps down if it
// could not renew for two thirds of it, before the lock can pass to another node.
// Every change is saved through the Locker, which accepts state only from the
// lock's holder, before the call returns and before its events go out. The
// state is kept entry by entry, an entry per waiting request (with its place
// in the queue's order) and per agent, and a change writes only the entries
// it touched (see statesave.go), so that what a change writes to Redis does
// not grow with the queue. A new leader restores the queue as it was:
//   - waiting requests keep their order, enqueue times and rejections; agents keep
//     their states, skills and idle order; handle times keep feeding the estimates;
//     every waiting station is sent its position again;
//   - an offer that was ringing rings again at the same agent, for a whole ring
//     timeout; a wrap-up ends when it would have;
//   - calls made meanwhile wait for the new leader, up to Config.CallTimeout.
//
// Whenever a new leader takes over, and after a call of its could not reach
// the leader, a node calls its Listener's Rejoin (if it is a Rejoiner) once
// the queue answers again, which tells the queue again who is signed in there:
// a leader that restored the saved state knows them all already, while one
// that started empty because Redis restarted without persistence gets back
// every signed-in agent in their state and every waiting request with its
// first enqueue time (see Queue.Rejoin). Calls that cannot reach the leader
// fail with ErrUnavailable.
//
// A leader that closes hands over at once; one that dies is replaced once its lock
// expires, within about 4/3 of Config.LeaderTTL (4 s by default). Limits:
//   - a leader that dies between taking a call and answering it leaves the caller
//     with a timeout, though the change may have been saved;
//   - events travel at most once: a node cut off from the bus misses those
//     published meanwhile (it logs the gap), until the next change concerning the
//     same station or agent;
//   - a leader whose save fails keeps the change (the call succeeds) and saves it
//     with the next one; changes it could not save before stepping down are lost;
//   - a deposed leader's saves are refused, so its changes after the lock passed
//     on are reported to their callers as errors; nodes that have heard from its
//     successor ignore its events;
//   - a new leader reads the whole state once, which costs time in proportion
//     to the number of waiting requests (tens of milliseconds for 1,000), and
//     tells every waiting station its position again.
//
// Timers (ring, wrap-up, appointments) run on the leader, on Config.Clock; the lock
// and call timeouts use the wall clock.
package queue
