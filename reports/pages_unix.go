//go:build unix

package reports

import (
	"runtime"
	"syscall"
	"unsafe"
)

// newPage returns a zeroed page of fingerprints mapped outside the Go heap:
// 10 M lines take 20 MB of them, and on the heap the collector's goal
// (twice the live heap) would double that. The mapping is released when
// the Resume that holds it is collected.
func (r *Resume) newPage() *page {
	mem, err := syscall.Mmap(-1, 0, int(unsafe.Sizeof(page{})), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return new(page) // the heap will do
	}
	if r.mapped == nil {
		r.mapped = &mappings{}
		runtime.AddCleanup(r, func(m *mappings) { m.release() }, r.mapped)
	}
	r.mapped.list = append(r.mapped.list, mem)
	return (*page)(unsafe.Pointer(&mem[0]))
}

// mappings are the pages of one Resume mapped outside the heap.
type mappings struct{ list [][]byte }

func (m *mappings) release() {
	for _, mem := range m.list {
		_ = syscall.Munmap(mem)
	}
	m.list = nil
}
