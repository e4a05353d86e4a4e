package enrolclient

import (
	"errors"

	"golang.org/x/sys/windows/registry"
)

// What the user is told to check, and how to give a proxy a password:
// Internet Options cannot hold one for softtoken.
const (
	proxySettingName = "Internet Options, LAN settings, or HTTPS_PROXY"
	proxyAuthHow     = "set them in the HTTPS_PROXY variable as http://USER:PASSWORD@%s (Internet Options cannot hold them)"
)

// internetSettingsKey holds the per-user proxy settings (HKCU).
const internetSettingsKey = `Software\Microsoft\Windows\CurrentVersion\Internet Settings`

// osInternetSettings reads the user's Internet Settings from the registry;
// false when there are none.
func osInternetSettings() (InternetSettings, bool) {
	k, err := registry.OpenKey(registry.CURRENT_USER, internetSettingsKey, registry.QUERY_VALUE)
	if err != nil {
		return InternetSettings{}, false
	}
	defer k.Close()
	var s InternetSettings
	if n, _, err := k.GetIntegerValue("ProxyEnable"); err == nil {
		s.Enable = n != 0
	} else if errors.Is(err, registry.ErrUnexpectedType) {
		// Some old set-ups store it as REG_BINARY or REG_SZ.
		if b, _, err := k.GetBinaryValue("ProxyEnable"); err == nil {
			for _, c := range b {
				s.Enable = s.Enable || c != 0
			}
		} else if v, _, err := k.GetStringValue("ProxyEnable"); err == nil {
			s.Enable = v != "" && v != "0"
		}
	}
	s.Server, _, _ = k.GetStringValue("ProxyServer")
	s.Override, _, _ = k.GetStringValue("ProxyOverride")
	s.AutoConfigURL, _, _ = k.GetStringValue("AutoConfigURL")
	return s, true
}
