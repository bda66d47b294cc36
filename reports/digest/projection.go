package digest

// Projection scales a run to a migration's size.
type Projection struct {
	Rows  int64   `json:"rows"`
	Hours float64 `json:"hours"`
}

// Project estimates how long rows would take at the summary's achieved call
// rate and retry overhead. It returns zero hours when nothing was sent.
func Project(s Summary, rows int64) Projection {
	sent, _ := s.Sent()
	if sent == 0 || s.Rate <= 0 {
		return Projection{Rows: rows}
	}
	callsPerRow := float64(s.Attempts) / float64(sent)
	return Projection{Rows: rows, Hours: float64(rows) * callsPerRow / s.Rate / 3600}
}
