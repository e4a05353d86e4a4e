package server_test

import (
	"database/sql"
	"net/url"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // to drop the server's database behind its back

	"github.com/softtoken/softtoken/server/servertest"
)

// /readyz is on the public listener (a load balancer asks it, so does
// anyone), and when PostgreSQL does not answer it says why in the driver's
// words: the database's user, name, address and server message, the
// internal topology an attacker maps the network with. The load balancer
// needs the status alone; the reason belongs in the node's log (where it
// already goes).
func TestReadyzTellsNoDatabaseDetails(t *testing.T) {
	s := servertest.NewWith(t, servertest.Options{Postgres: true})
	dsn, err := url.Parse(s.DB())
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(dsn.Path, "/")
	admin := *dsn
	admin.Path = "/postgres"
	db, err := sql.Open("pgx", admin.String())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`DROP DATABASE ` + name + ` WITH (FORCE)`); err != nil {
		t.Fatal(err)
	}
	status, body := probe(t, s, "/readyz")
	if status != 503 {
		t.Fatalf("/readyz: %d %q, want 503", status, body)
	}
	for _, secret := range []string{name, "user=" + dsn.User.Username(), dsn.Host, dsn.Port()} {
		if strings.Contains(body, secret) {
			t.Errorf("the public /readyz tells %q about the database: %q", secret, body)
		}
	}
}
