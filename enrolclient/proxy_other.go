//go:build !windows

package enrolclient

// What the user is told to check, and how to give a proxy a password.
const (
	proxySettingName = "HTTPS_PROXY"
	proxyAuthHow     = "put them in this PC's proxy setting as http://USER:PASSWORD@%s"
)

// osInternetSettings: only Windows has Internet Settings.
func osInternetSettings() (InternetSettings, bool) { return InternetSettings{}, false }
