package radius_test

import (
	"testing"
)

// counted is the RADIUS requests of client counted with result.
func counted(t *testing.T, d *door, client, result string) float64 {
	t.Helper()
	mfs, err := d.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "softtoken_radius_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["client"] == client && labels["result"] == result {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}
