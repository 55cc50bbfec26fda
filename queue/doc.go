// Package queue orders residents' call requests and routes them to center agents
// (the ACD of Cloud Window).
//
// A station enqueues one request at a time. Waiting requests are served in three
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
package queue
