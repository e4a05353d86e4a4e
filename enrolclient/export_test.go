package enrolclient

import "testing"

// SetInternetSettings makes s this PC's Internet Settings until the test
// ends, as if read from Windows' registry.
func SetInternetSettings(t testing.TB, s InternetSettings) {
	t.Helper()
	old := readInternetSettings
	readInternetSettings = func() (InternetSettings, bool) { return s, true }
	t.Cleanup(func() { readInternetSettings = old })
}
