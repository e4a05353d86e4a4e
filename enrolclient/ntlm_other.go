//go:build !windows

package enrolclient

// osNTLM: only Windows has a logged-on user's identity to offer a proxy.
func osNTLM() ntlmAuth { return nil }
