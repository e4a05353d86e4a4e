package request_test

import (
	"net/http/httptest"
	"testing"

	"github.com/softtoken/softtoken/server/request"
)

func TestAddresses(t *testing.T) {
	tests := []struct {
		remote, host       string
		wantAddr, wantHost string
	}{
		{"192.0.2.7:51000", "enrol.example.com:8443", "192.0.2.7", "enrol.example.com"},
		{"[2001:db8::1]:443", "[2001:db8::2]:8443", "2001:db8::1", "2001:db8::2"},
		{"192.0.2.7", "enrol.example.com", "192.0.2.7", "enrol.example.com"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr, r.Host = tt.remote, tt.host
		if got := request.ClientAddr(r); got != tt.wantAddr {
			t.Errorf("ClientAddr(%q) = %q, want %q", tt.remote, got, tt.wantAddr)
		}
		if got := request.Host(r); got != tt.wantHost {
			t.Errorf("Host(%q) = %q, want %q", tt.host, got, tt.wantHost)
		}
	}
}
