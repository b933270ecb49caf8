//go:build unix

package provision

import (
	"syscall"
	"unsafe"
)

// allocSlots returns n zeroed slots from an anonymous memory mapping, outside the
// garbage-collected heap; it falls back to the heap if the mapping fails.
func allocSlots(n int) []uint64 {
	b, err := syscall.Mmap(-1, 0, n*8, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return make([]uint64, n)
	}
	return unsafe.Slice((*uint64)(unsafe.Pointer(&b[0])), n)
}

// freeSlots unmaps slots from allocSlots; heap slots are left to the collector.
func freeSlots(s []uint64) {
	if len(s) == 0 {
		return
	}
	b := unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*8)
	_ = syscall.Munmap(b) // EINVAL for a heap fallback: nothing to do
}
