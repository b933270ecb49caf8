//go:build !unix

package provision

// allocSlots returns n zeroed slots from the heap.
func allocSlots(n int) []uint64 { return make([]uint64, n) }

// freeSlots leaves the slots to the collector.
func freeSlots([]uint64) {}
