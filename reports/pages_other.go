//go:build !unix

package reports

// mappings is empty where pages live on the heap.
type mappings struct{}

// newPage returns a zeroed page of fingerprints.
func (r *Resume) newPage() *page { return new(page) }
