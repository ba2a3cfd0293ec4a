//go:build race

package useragent

// raceEnabled lets the slowest cross-checks sample their inputs: under the
// race detector every regexp run costs a hundred times more.
const raceEnabled = true
