package server_test

import (
	"database/sql"
	"io"
	"net/http"
	"strings"
	"testing"

	_ "modernc.org/sqlite" // to move the schema on behind the server's back

	"github.com/softtoken/softtoken/server/servertest"
	"github.com/softtoken/softtoken/server/store"
)

// probe fetches path from the server and returns the status and body.
func probe(t *testing.T, s *servertest.Server, path string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + s.Addr + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// /healthz says the process is up whatever the database does; /readyz
// is 200 only while the database answers and its schema is the one this
// server runs: a schema a newer server moved on, and a database that is
// gone, are 503 with the reason.
func TestReadiness(t *testing.T) {
	tests := []struct {
		name  string
		spoil func(t *testing.T, s *servertest.Server, st store.Store)
		want  int
		says  string
	}{
		{name: "ready", spoil: func(*testing.T, *servertest.Server, store.Store) {}, want: http.StatusOK, says: "ready"},
		{name: "a newer server migrated the schema", want: http.StatusServiceUnavailable, says: "schema is not this server's version",
			spoil: func(t *testing.T, s *servertest.Server, _ store.Store) {
				db, err := sql.Open("sqlite", s.DB())
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				if _, err := db.Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (99, 0)`); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "the database is gone", want: http.StatusServiceUnavailable, says: "database unreachable",
			spoil: func(t *testing.T, _ *servertest.Server, st store.Store) { st.Close() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var st store.Store
			s := servertest.NewWith(t, servertest.Options{Wrap: func(inner store.Store) store.Store { st = inner; return inner }})
			tt.spoil(t, s, st)
			if status, body := probe(t, s, "/readyz"); status != tt.want || !strings.Contains(body, tt.says) {
				t.Errorf("/readyz: %d %q, want %d saying %q", status, body, tt.want, tt.says)
			}
			if status, body := probe(t, s, "/healthz"); status != http.StatusOK || body != "ok\n" {
				t.Errorf("/healthz: %d %q", status, body)
			}
		})
	}
}
