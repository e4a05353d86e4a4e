package cli_test

import (
	"net/http"
	"strings"
	"testing"
)

// The console and the admin API answer on --admin-listen only: the
// public listener knows nothing of them.
func TestAdminListenerIsApart(t *testing.T) {
	a := newAdmin(t)
	a.add("admin-pass\n", "admin")
	a.adminAddr = make(chan string, 1)
	addr, stop := a.serve("--admin-listen", "127.0.0.1:0")
	defer stop()
	adminAddr := <-a.adminAddr
	for _, c := range []struct {
		url  string
		want int
	}{
		{"http://" + addr + "/admin/", http.StatusNotFound},
		{"http://" + addr + "/api/v1/users", http.StatusNotFound},
		{"http://" + addr + "/api/v1/openapi.json", http.StatusNotFound},
		{"http://" + adminAddr + "/healthz", http.StatusOK},
		{"http://" + adminAddr + "/api/v1/users", http.StatusUnauthorized},
		{"http://" + adminAddr + "/api/v1/openapi.json", http.StatusOK},
		{"http://" + adminAddr + "/ws", http.StatusNotFound},
		{"http://" + adminAddr + "/secenrol/", http.StatusNotFound},
	} {
		resp, err := http.Get(c.url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("GET %s: %d, want %d", c.url, resp.StatusCode, c.want)
		}
	}
}

// The admin listener follows the public one's rule: plain HTTP on
// loopback only; and it is never the public listener's address.
func TestAdminListenRefused(t *testing.T) {
	a := newAdmin(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--admin-listen", "0.0.0.0:8444"}, "refusing to serve plain HTTP"},
		{[]string{"--admin-listen", "192.0.2.1:8444"}, "refusing to serve plain HTTP"},
		{[]string{"--listen", "127.0.0.1:8443", "--admin-listen", "127.0.0.1:8443"}, "another address than --listen"},
		{[]string{"--admin-listen", "nonsense"}, "is not host:port"},
	} {
		_, err := a.run("", append([]string{"serve"}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("serve %v: %v, want %q", c.args, err, c.want)
		}
	}
}
