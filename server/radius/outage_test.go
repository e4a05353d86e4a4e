package radius_test

import (
	"testing"

	"github.com/softtoken/softtoken/server/pgtest"
	"github.com/softtoken/softtoken/server/servertest"
)

// While the database cannot be reached the door does not answer: an
// Access-Reject would tell the user their password is wrong, where no
// answer makes the NAS retransmit, or ask its other RADIUS server. The
// drop is counted as dropped_unavailable.
func TestDatabaseOutageIsNotAnswered(t *testing.T) {
	cluster := pgtest.NewCluster(t)
	d := open(t, servertest.Options{DB: cluster.NewDB(t)}, nil)
	enrolled(t, d.s, "trader")
	cluster.Stop(t)
	d.wait = "2" // none comes: the counter says the request was seen
	if r := d.radclient(t, secret, signed("trader", "trader-pass", "")...); r.Code != "" {
		t.Errorf("during the outage: %+v, want no answer", r)
	}
	if got := counted(t, d, "vpn", "dropped_unavailable"); got != 1 {
		t.Errorf("softtoken_radius_requests_total{client=vpn,result=dropped_unavailable} = %v, want 1", got)
	}
	cluster.Start(t)
}
