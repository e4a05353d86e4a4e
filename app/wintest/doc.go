// Package wintest runs the packaged Windows binary,
// dist/softtoken-windows-amd64.exe, under Debian's Wine: its command line
// against Wine's Credential Manager and oathtool, enrolment through a real
// proxy (squid) named by the Internet Settings in Wine's registry, its
// window under Xvfb read back by OCR, and the single-instance guard; and
// the MSI, dist/softtoken-windows-amd64.msi, installed, upgraded in place
// and removed with Wine's msiexec.
//
// The tests are behind the build tag wine, so `go test ./...` skips them:
// `make test-windows` installs Wine and the tools, and runs
//
//	SOFTTOKEN_WINDOWS_EXE=dist/softtoken-windows-amd64.exe go test -tags wine ./app/wintest
//
// after `make package` built the binary (it is never built here). See
// docs/windows.md for what this shows and what Wine cannot.
package wintest
