// Package linuxpkg tests the Linux packages `make package` builds in dist/
// (the .deb and .rpm of the app, softtoken, and of the server,
// softtoken-server): it installs each .deb on this machine with dpkg,
// checks what its maintainer scripts did, starts the server as its
// systemd unit says (its user, its environment and environment file, its
// umask, no privileges) until /readyz answers, and purges the packages
// again; the .rpm files are read back with rpm. With no container builder
// on these machines, server/Containerfile's image is laid out by hand
// from its COPY lines and run in a chroot as its USER, with its ENV.
//
// The tests are behind the build tag linuxpkg, so `go test ./...` skips
// them: `make test-packages` installs the tools they use and runs
//
//	SOFTTOKEN_LINUXPKG_DIST=$PWD/dist SOFTTOKEN_LINUXPKG_VERSION=0.1.0 go test -tags linuxpkg ./internal/linuxpkg
//
// as root, on a machine where neither package is installed (they refuse
// to run otherwise, rather than purge someone's installation). See
// docs/deploy.md, "Linux packages and the service".
package linuxpkg
