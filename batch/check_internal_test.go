package batch

import "testing"

func TestBitsGrowAsSet(t *testing.T) {
	var b bits
	set := []int{0, 63, 64, 200}
	for _, i := range set {
		b.set(i)
	}
	if len(b) != 4 {
		t.Errorf("%d words after setting bit 200, want 4", len(b))
	}
	for i := range 300 {
		want := false
		for _, s := range set {
			want = want || s == i
		}
		if b.has(i) != want {
			t.Errorf("has(%d) = %v, want %v", i, b.has(i), want)
		}
	}
	if (bits)(nil).has(5) {
		t.Error("an empty set has bit 5")
	}
}
