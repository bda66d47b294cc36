package reports

import (
	"slices"
	"testing"
	"time"
)

func TestFailedNames(t *testing.T) {
	now := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	stamped := []string{"r.failed-20240506-070809.csv"}
	for i := '2'; i <= '9'; i++ {
		stamped = append(stamped, "r.failed-20240506-070809-"+string(i)+".csv")
	}
	for _, tc := range []struct {
		name      string
		plan      Plan
		appending bool
		want      []string
	}{
		{"the plan's name", Plan{Report: "r.csv", Failed: "f.csv", Now: now}, false, []string{"f.csv"}},
		{"the plan's name even when appending", Plan{Report: "r.csv", Failed: "f.csv", Now: now}, true, []string{"f.csv"}},
		{"after the report", Plan{Report: "r.csv", Now: now}, false, []string{"r.failed.csv"}},
		{"after a report not named .csv", Plan{Report: "r", Now: now}, false, []string{"r.failed.csv"}},
		{"stamped when appending, nine tries", Plan{Report: "r.csv", Now: now}, true, stamped},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := failedNames(tc.plan, tc.appending); !slices.Equal(got, tc.want) {
				t.Errorf("failedNames = %q, want %q", got, tc.want)
			}
		})
	}
}
