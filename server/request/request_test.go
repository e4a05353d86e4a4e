package request_test

import (
	"net/http/httptest"
	"testing"

	"github.com/softtoken/softtoken/server/request"
)

func TestClientAddr(t *testing.T) {
	tests := []struct{ remote, want string }{
		{"192.0.2.7:51000", "192.0.2.7"},
		{"[2001:db8::1]:443", "2001:db8::1"},
		{"192.0.2.7", "192.0.2.7"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tt.remote
		if got := request.ClientAddr(r); got != tt.want {
			t.Errorf("ClientAddr(%q) = %q, want %q", tt.remote, got, tt.want)
		}
	}
}
