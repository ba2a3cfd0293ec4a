package node

import "testing"

// TestProcessors: on a machine of few cores varde serve runs on twice as
// many Go processors, unless the operator set GOMAXPROCS; on a larger one
// it keeps Go's choice.
func TestProcessors(t *testing.T) {
	for _, c := range []struct {
		current  int
		operator bool
		want     int
		ok       bool
	}{
		{1, false, 2, true},
		{2, false, 4, true},
		{4, false, 8, true},
		{8, false, 0, false},
		{2, true, 0, false},
	} {
		got, ok := Processors(c.current, c.operator)
		if got != c.want || ok != c.ok {
			t.Errorf("Processors(%d, operator %v) = %d, %v; want %d, %v", c.current, c.operator, got, ok, c.want, c.ok)
		}
	}
}
