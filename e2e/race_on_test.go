//go:build race

package e2e

// raceOn: the race detector slows media handling several times over.
const raceOn = true
