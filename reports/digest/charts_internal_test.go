package digest

import (
	"fmt"
	"testing"
)

func TestHoverColumnsTileThePlot(t *testing.T) {
	for _, n := range []int{1, 2, 7, maxHoverColumns, maxHoverColumns + 1, 50_400} {
		t.Run(fmt.Sprint(n, " points"), func(t *testing.T) {
			p := overTime("t", "u", n, nil, nil, false)
			every := (p.n + maxHoverColumns - 1) / maxHoverColumns
			edge, columns := float64(padL), 0
			for i := 0; i < p.n; i += every {
				left, right := p.column(i, every)
				if left != edge {
					t.Fatalf("column at point %d starts at %.2f, want %.2f where the one before ends", i, left, edge)
				}
				if right < left {
					t.Fatalf("column at point %d ends at %.2f, before its start %.2f", i, right, left)
				}
				edge = right
				columns++
			}
			if edge != chartW-padR {
				t.Errorf("the last column ends at %.2f, want the plot's edge %d", edge, chartW-padR)
			}
			if columns > maxHoverColumns {
				t.Errorf("%d columns, want at most %d", columns, maxHoverColumns)
			}
		})
	}
}
