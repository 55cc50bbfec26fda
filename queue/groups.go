package queue

// skillGroup is shared by the waiting requests of one skill group, so that
// routing and estimates look things up once per group rather than per request.
type skillGroup struct {
	name     string
	requests int    // waiting requests in the group; the group is dropped at zero
	servers  int    // working agents who can serve it, as of the last refresh
	unserved uint64 // the routing pass that found no free agent for it
}

func (q *Local) joinGroup(name string) *skillGroup {
	g, ok := q.groups[name]
	if !ok {
		g = &skillGroup{name: name}
		q.groups[name] = g
	}
	g.requests++
	return g
}

func (q *Local) leaveGroup(g *skillGroup) {
	g.requests--
	if g.requests == 0 {
		delete(q.groups, g.name)
	}
}

// countServers updates each group's count of working agents who can serve it.
func (q *Local) countServers() {
	for _, g := range q.groups {
		g.servers = 0
		for _, a := range q.agents {
			if ok, _ := a.serves(g.name); ok && a.working() {
				g.servers++
			}
		}
	}
}
