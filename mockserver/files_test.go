package mockserver_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/msgread/msgread/mockserver"
)

func TestReadUsersFileLimit(t *testing.T) {
	dir := t.TempDir()
	for name, c := range map[string]struct {
		text  string
		users int
		err   error
	}{
		"exactly the limit":  {strings.Repeat("u\n", 50), 50, nil},
		"a byte past it":     {strings.Repeat("u\n", 50) + "v", 0, mockserver.ErrUsersTooBig},
		"far past the limit": {strings.Repeat("user\n", 30), 0, mockserver.ErrUsersTooBig},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-"))
			if err := os.WriteFile(path, []byte(c.text), 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			users, err := mockserver.ReadUsersFile(context.Background(), f, 100)
			if len(users) != c.users || !errors.Is(err, c.err) {
				t.Fatalf("%d users, %v; want %d, %v", len(users), err, c.users, c.err)
			}
		})
	}
}

// TestReadUsersFileGivesWayToCtx: a pipe whose writer writes nothing ends
// with ctx, not when the writer closes.
func TestReadUsersFileGivesWayToCtx(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	w.WriteString("alice\n")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := mockserver.ReadUsersFile(ctx, r, 1<<20)
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("read a pipe still open to its end")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("still reading 5 s after ctx ended")
	}
}

func TestLoadScenarioContext(t *testing.T) {
	if sc, err := mockserver.LoadScenarioContext(context.Background(), "flaky"); err != nil || sc.Name != "flaky" {
		t.Errorf("built-in: %+v, %v", sc, err)
	}
	path := filepath.Join(t.TempDir(), "s.json")
	os.WriteFile(path, []byte(`{"name": "mine", "ceiling": 50}`), 0o644)
	if sc, err := mockserver.LoadScenarioContext(context.Background(), path); err != nil || sc.Name != "mine" {
		t.Errorf("file: %+v, %v", sc, err)
	}
	_, err := mockserver.LoadScenarioContext(context.Background(), filepath.Join(t.TempDir(), "none.json"))
	if err == nil || !strings.Contains(err.Error(), "clean") {
		t.Errorf("a missing file: %v, want an error naming the built-ins", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := mockserver.LoadScenarioContext(ctx, path); !errors.Is(err, context.Canceled) {
		t.Errorf("after ctx ended: %v, want context.Canceled", err)
	}
}
