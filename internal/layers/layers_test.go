// Package layers holds the test that keeps the import graph the folders'
// tree: nothing imports up it.
package layers

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/msgread/msgread/"

// layers ranks the module's packages, lowest first: a package may import
// only packages of a lower rank (internal/ packages may import each
// other). The command is on top; the engine and the mock use the wire
// contract; the report's presentation uses its on-disk format.
var layers = map[string]int{
	"internal/":           0,
	"batch/chatapi":       1,
	"reports":             1,
	"reports/":            2,
	"mockserver":          3,
	"batch":               3,
	"cmd/msgread":         4,
	"scripts/":            4,
	"internal/layers":     5,
	"internal/memtest":    0,
	"internal/fsopen":     0,
	"internal/crashpoint": 0,
}

// rank returns the layer of a module package (its path without the
// module's prefix): an exact entry, else the longest "dir/" prefix.
func rank(t *testing.T, pkg string) int {
	if r, ok := layers[pkg]; ok {
		return r
	}
	best, r := "", -1
	for prefix, n := range layers {
		if strings.HasSuffix(prefix, "/") && strings.HasPrefix(pkg, prefix) && len(prefix) > len(best) {
			best, r = prefix, n
		}
	}
	if r < 0 {
		t.Fatalf("package %s has no layer: add it to layers", pkg)
	}
	return r
}

// TestNothingImportsUpTheTree: go list's imports of every package (tests
// aside) point to a lower layer only.
func TestNothingImportsUpTheTree(t *testing.T) {
	out, err := exec.Command("go", "list", "-json", module+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	seen := 0
	for {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		seen++
		from := strings.TrimPrefix(p.ImportPath, module)
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, module) {
				continue
			}
			to := strings.TrimPrefix(imp, module)
			internalPair := strings.HasPrefix(from, "internal/") && strings.HasPrefix(to, "internal/")
			if rf, rt := rank(t, from), rank(t, to); rt >= rf && !internalPair {
				t.Errorf("%s (layer %d) imports %s (layer %d): an import up the tree", from, rf, to, rt)
			}
		}
	}
	if seen < 10 {
		t.Fatalf("go list listed %d packages; want the module's", seen)
	}
}
