package node

// Processors is how many Go processors varde serve runs on, given Go's
// choice (current) and whether the operator set GOMAXPROCS; ok false keeps
// the choice. On a machine of four cores or fewer it is twice the cores:
// the background work (the writer encoding a batch, the sessionizer
// planning a run, the garbage collector marking) otherwise holds one of
// two processors for up to Go's 10 ms time slice, and beacons queue behind
// it; with more processors than cores the kernel interleaves them finely.
// On 2 cores at 10,000 beacons a second this halved the p99 (40–51 ms to
// 14–24 ms) and gave 10–20% more throughput.
func Processors(current int, operatorSet bool) (int, bool) {
	if operatorSet || current > 4 {
		return 0, false
	}
	return 2 * current, true
}
