# softtoken: the two commands a newcomer needs are `make run` and `make test`.
# Every target first installs what a fresh Debian machine lacks (only the
# missing packages), so nothing is ever set up by hand.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

GO      ?= go
# The Go toolchain of every target, whatever Go is installed: go.mod asks
# for at least this one, and the go command fetches it from the module
# proxy the first time (about 10 s). Go 1.26.8 had 13 vulnerabilities our
# code reaches (make vet's govulncheck).
export GOTOOLCHAIN := go1.27.3
BIN     := bin
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
# The desktop app's build tags (docs/benchmarks.md, "The idle desktop app"):
# no_emoji leaves out Fyne's 4 MB colour emoji font, which Fyne parses again
# for every text style (15 MB of the idle app's heap); migrated_fynedo says
# every widget call already runs on Fyne's thread (fyne.Do), so Fyne stops
# checking each refresh's goroutine with a stack trace. Tests build without
# them, so Fyne's thread check still guards every test run.
APP_TAGS := no_emoji,migrated_fynedo
# Fuzz time per target in `make test`; `make fuzz FUZZTIME=5m` for longer runs.
# A new input is minimised for at most 10 s (Go's default, 60 s, can take
# the whole minute of make stress's run of a target).
FUZZTIME ?= 5s
# package:FuzzTarget, one per parser of untrusted input.
FUZZ := ./token:FuzzParseURI ./token/keyringstore:FuzzDecode ./server/wire:FuzzDecode ./enrolclient:FuzzURLs ./enrolclient:FuzzInternetSettings ./token/qr:FuzzReadImage ./token/oneswipe:FuzzParse ./server/sms:FuzzNormalize ./server/request:FuzzForwarded ./server/lang:FuzzMatch ./server/adminapi:FuzzRequestParsing ./server/radius:FuzzPacket ./server/directory:FuzzPerson ./server/ws:FuzzControlFrame

# What runs on Windows and macOS, compiled and vetted there (cross-check),
# and checked by govulncheck for Windows (vet).
CROSS_PKGS := ./token/... ./enrolclient/... ./app/autotype/ ./app/ontop/ ./app/cli/ ./app/policy/ ./app/prefsfile/ ./app/instance/ ./app/scan/ ./server/...

# make vet runs govulncheck against an offline copy of the Go vulnerability
# database (the public one is out of reach here): the module
# golang.org/x/vulndb holds every report as OSV JSON, and its indexdb
# command makes a database of them once, in VULNDB outside the repository,
# reused while it is there (a few minutes the first time). A newer
# VULNDB_VERSION brings newer reports and a new folder.
VULNDB_VERSION      := v0.0.0-20261105234957-e22db6528018
GOVULNCHECK_VERSION := v1.9.0
GOVULNCHECK         := golang.org/x/vuln/cmd/govulncheck@$(GOVULNCHECK_VERSION)
VULNDB              ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/softtoken/vulndb-$(VULNDB_VERSION)
# make vet's linter, run at this version like govulncheck; its checks are
# its defaults (a staticcheck.conf would say which we turn off, and why).
STATICCHECK_VERSION := v0.8.2
STATICCHECK         := honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

# Fyne's cgo build (GLFW), a virtual display, a real keyring for tests, and
# oathtool as an independent OTP implementation to check codes against, a
# JDK to run the protocol seed's Java client sample against the server, and
# PostgreSQL, which the store's tests start themselves (server/pgtest), and
# squid, a real HTTP proxy for the enrolment tests (internal/squidtest),
# and xdotool to give a window the focus (make measure-idle), xterm and
# the keyboard tools for the typing tests (app/autotype), openbox, a
# window manager to keep the compact window on top (app/ontop), and
# FreeRADIUS's radclient to test the RADIUS door with, OpenLDAP's slapd and
# ldap-utils for the directory tests (server/ldaptest). make screenshots
# needs nothing more: Xvfb, D-Bus, chromium and ffmpeg are above.
APT_PACKAGES := gcc pkg-config libgl1-mesa-dev libxcursor-dev libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev \
	xvfb gnome-keyring dbus-x11 libsecret-tools oathtool openjdk-17-jdk-headless \
	xclip chromium ffmpeg postgresql squid xdotool xterm x11-xkb-utils x11-xserver-utils openbox freeradius-utils slapd ldap-utils
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

# Fyne logs a locale error under the C locale without this.
export LANGUAGE := en_US

.PHONY: deps build run test vet fmt-check server-check cross-check fuzz stress measure-idle screenshots package package-deps sign-windows package-linux test-packages container test-windows test-windows-deps clean

# install_missing: apt-get install the packages of $(1) that are not
# installed yet.
define install_missing
	@missing=$$(for p in $(1); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing missing packages:" $$missing; \
		$(SUDO) apt-get update -qq; \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

deps: ## install the missing Debian packages
	$(call install_missing,$(APT_PACKAGES))
	@command -v $(GO) >/dev/null || { echo "Go is not installed: see https://go.dev/doc/install"; exit 1; }

build: deps ## build bin/softtoken and bin/softtoken-server
	$(GO) build -tags $(APP_TAGS) -ldflags "$(LDFLAGS)" -o $(BIN)/softtoken ./app
	CGO_ENABLED=0 $(GO) build -o $(BIN)/softtoken-server ./server/cmd/softtoken-server

# make run: the demo server on loopback (database, key, outbox and the demo
# user's password in $(RUN_DIR)), then the app with the enrol URL pre-filled,
# on the keyring service softtoken-demo so that no real token is touched.
# Without a usable keyring in the session, a private one in $(RUN_DIR)/keyring.
# Ctrl+C (or closing the app) stops both.
RUN_DIR  ?= .run
RUN_ADDR ?= 127.0.0.1:8443
define run_demo
set -euo pipefail
mkdir -p $(RUN_DIR)
$(BIN)/softtoken-server demo --data $(RUN_DIR) --listen $(RUN_ADDR) 2>$(RUN_DIR)/server.log & srv=$$!
trap 'kill $$srv 2>/dev/null || true; wait $$srv 2>/dev/null || true' EXIT INT TERM
for i in $$(seq 100); do
	(exec 3<>/dev/tcp/$(subst :,/,$(RUN_ADDR))) 2>/dev/null && break
	kill -0 $$srv 2>/dev/null || { echo "the demo server did not start:"; cat $(RUN_DIR)/server.log; exit 1; }
	sleep 0.1
done
export SOFTTOKEN_ENROL_URL=http://$(RUN_ADDR)/secenrol/ SOFTTOKEN_KEYRING_SERVICE=softtoken-demo
if [ -n "$${DBUS_SESSION_BUS_ADDRESS:-}" ] && $(BIN)/softtoken list >/dev/null 2>&1; then
	$(BIN)/softtoken
else
	echo "No usable system keyring in this session: using a private demo keyring in $(RUN_DIR)/keyring."
	mkdir -p $(RUN_DIR)/keyring
	dbus-run-session -- bash -c 'echo -n softtoken-demo | XDG_DATA_HOME=$(abspath $(RUN_DIR))/keyring gnome-keyring-daemon --unlock --daemonize --components=secrets >/dev/null; $(BIN)/softtoken'
fi
endef
export run_demo

run: build ## start the demo server and open the app
	@if [ -z "$${DISPLAY:-}$${WAYLAND_DISPLAY:-}" ]; then \
		echo "make run opens a window: run it in a desktop session (DISPLAY is not set)"; exit 1; fi
	@bash -c "$$run_demo"

# make vet: go vet, then staticcheck (both also on the screenshots build
# of app/internal/screenshots), then govulncheck.
# govulncheck fails make vet when our code reaches a known vulnerability
# (-show verbose lists those it imports but does not call): first the
# default build of every package (the app's tags, APP_TAGS, change files
# inside Fyne only, not which packages are built), then what runs on
# Windows, for GOOS=windows: -exec runs the host's govulncheck with it.
vet: deps $(VULNDB)/index/db.json
	$(GO) vet ./...
	$(GO) vet -tags screenshots ./app/internal/screenshots/
	$(GO) run $(STATICCHECK) ./...
	$(GO) run $(STATICCHECK) -tags screenshots ./app/internal/screenshots/
	# no shipped Go file over 450 lines, no function over 60 (issue 22)
	$(GO) run ./internal/sizecheck .
	$(GO) run $(GOVULNCHECK) -db file://$(VULNDB) ./...
	$(GO) run -exec 'env GOOS=windows CGO_ENABLED=0' $(GOVULNCHECK) -db file://$(VULNDB) $(CROSS_PKGS)

# The vulnerability database, built in a temporary folder and then moved
# in place, so that an interrupted build is never taken for one.
$(VULNDB)/index/db.json:
	@echo "building the vulnerability database in $(VULNDB) (once, a few minutes)"
	@mkdir -p $(dir $(VULNDB))
	@src=$$($(GO) mod download -json golang.org/x/vulndb@$(VULNDB_VERSION) | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$$/\1/p'); \
	[ -d "$$src/data/osv" ] || { echo "golang.org/x/vulndb@$(VULNDB_VERSION) has no data/osv folder"; exit 1; }; \
	tmp=$$(mktemp -d $(VULNDB).XXXXXX); trap 'rm -rf "$$tmp"' EXIT; \
	$(GO) run golang.org/x/vulndb/cmd/indexdb@$(VULNDB_VERSION) -vulns "$$src/data/osv" -out "$$tmp/db"; \
	rm -rf $(VULNDB); mv "$$tmp/db" $(VULNDB)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files -co --exclude-standard '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

cross-check: ## what runs on Windows and macOS compiles and vets there
	@for os in windows darwin; do \
		GOOS=$$os CGO_ENABLED=0 $(GO) vet $(CROSS_PKGS) || exit 1; \
	done

server-check: ## the server builds without cgo, never depends on Fyne or a client package, and keeps its layers (adapters take account's views; account speaks no protocol); the enrolment client gets only the wire format
	CGO_ENABLED=0 $(GO) build ./server/...
	@if $(GO) list -deps ./server/... | grep -q '^fyne.io/'; then \
		echo "a package under server/ depends on Fyne"; exit 1; fi
	@if $(GO) list -deps ./server/... | grep -E '/softtoken/(enrolclient|token/keyringstore|app)(/|$$)'; then \
		echo "a package under server/ depends on a client package"; exit 1; fi
	@if $(GO) list -f '{{.ImportPath}}: {{join .Imports " "}}' ./server/ws/... ./server/web/... ./server/cli/... ./server/console/... ./server/adminapi/... ./server/radius/... | grep -E ' github.com/softtoken/softtoken/server/store( |$$)'; then \
		echo "an adapter imports server/store: it takes server/account's own views"; exit 1; fi
	@if $(GO) list -deps ./server/account | grep -E '/softtoken/server/(wire|ws|web|cli|console|adminapi|radius)(/|$$)'; then \
		echo "server/account depends on a protocol package"; exit 1; fi
	@if $(GO) list -deps ./server/cmd/softtoken-server | grep -E '/softtoken/server/(wire/wireclient|servertest|stress)$$'; then \
		echo "softtoken-server depends on a protocol client"; exit 1; fi
	@if $(GO) list -deps ./enrolclient | grep '/softtoken/server/' | grep -vE '/softtoken/server/wire(/wireclient)?$$'; then \
		echo "enrolclient depends on server code beyond the wire format"; exit 1; fi

# The tests run inside a private D-Bus session with a fresh gnome-keyring
# (its files in a temporary folder), so they use a real Secret Service and
# never touch the user's own keyring.
define with_keyring
dbus-run-session -- bash -c 'set -eu; kr=$$(mktemp -d); trap "rm -rf $$kr" EXIT; \
	echo -n softtoken-test | XDG_DATA_HOME=$$kr gnome-keyring-daemon --unlock --daemonize --components=secrets >/dev/null; \
	$(1)'
endef

test: deps vet fmt-check server-check cross-check ## everything CI runs
	$(call with_keyring,SOFTTOKEN_REQUIRE_KEYRING=1 SOFTTOKEN_REQUIRE_TOOLS=1 $(GO) test -race -count=1 ./...)
	# The padding-oracle test in full (1,000 ciphertexts each way on every
	# encrypted field); under the race detector it sends 100.
	$(GO) test -count=1 -run '^TestBadPaddingAnswersLikeAWrongValue$$' ./server/ws/
	@$(MAKE) --no-print-directory fuzz

fuzz: ## run every fuzz target for FUZZTIME
	@for t in $(FUZZ); do \
		pkg=$${t%%:*}; fn=$${t##*:}; \
		echo "fuzz $$fn in $$pkg for $(FUZZTIME)"; \
		$(GO) test -list="^$$fn\$$" $$pkg | grep -x "$$fn" >/dev/null || { echo "no fuzz target $$fn in $$pkg"; exit 1; }; \
		$(GO) test -run='^$$' -fuzz="^$$fn\$$" -fuzztime=$(FUZZTIME) -fuzzminimizetime=10s $$pkg || exit 1; \
	done

# make stress: the real server binary under abuse and load on loopback
# (slow clients, 10,000 idle sockets, 1,000 logins at once, camera-frame
# bombs, verifylogin's CPU against its crypto; figures in
# docs/benchmarks.md), then every fuzz target for a minute. CI runs it
# after the tests. GODEBUG is the server's as deployed (the systemd unit,
# the image), for verify-cpu's crypto floor in the stress process too.
stress: deps ## the server under abuse and load, then a minute of each fuzz target
	CGO_ENABLED=0 $(GO) build -o $(BIN)/softtoken-server ./server/cmd/softtoken-server
	GODEBUG=madvdontneed=0 $(GO) run ./server/cmd/softtoken-stress --server $(BIN)/softtoken-server
	@$(MAKE) --no-print-directory fuzz FUZZTIME=1m

# make measure-idle: the idle app (three tokens; window shown, then hidden
# in the tray) side by side with Fyne's own minimal app, fyne.io/fyne/v2/cmd/hello,
# in one run on a private Xvfb display and keyring (app/internal/measureidle;
# figures in docs/benchmarks.md). It reports the goals; it never fails on a
# timing.
measure-idle: build ## idle CPU and memory of the app against Fyne's hello app
	$(GO) build -o $(BIN)/fyne-hello fyne.io/fyne/v2/cmd/hello
	$(GO) build -o $(BIN)/measure-idle ./app/internal/measureidle
	$(call with_keyring,$(BIN)/measure-idle --softtoken $(BIN)/softtoken --hello $(BIN)/fyne-hello $(MEASURE_FLAGS))

# make screenshots: every picture README.md and docs/*.md show, made
# afresh with fixed demo data into a temporary folder: the app's from the
# real app on a private Xvfb display (app/internal/screenshots, build tag
# screenshots), the enrol site's and help desk's from server/web's browser
# tests in Chromium (browsertest.Screenshot). When every picture the
# documents show was made, docs/screenshots becomes exactly what was made
# (a picture no longer made goes). TestDocsShowOnlyMadePictures, in make
# test, fails when a document shows a picture this does not make.
screenshots: deps ## remake docs/screenshots from the real app and pages
	@shots=$$(mktemp -d); trap 'rm -rf "$$shots"' EXIT; \
	echo "the app's pictures (Xvfb)"; \
	dbus-run-session -- env SOFTTOKEN_SCREENSHOTS="$$shots" $(GO) test -tags $(APP_TAGS),screenshots -count=1 ./app/internal/screenshots/; \
	echo "the web pages' pictures (Chromium)"; \
	SOFTTOKEN_SCREENSHOTS="$$shots" SOFTTOKEN_REQUIRE_TOOLS=1 $(GO) test -count=1 -run '^TestBrowser' ./server/web/; \
	SOFTTOKEN_SCREENSHOTS="$$shots" SOFTTOKEN_REQUIRE_TOOLS=1 $(GO) test -count=1 -run '^TestBrowser' ./server/console/; \
	missing=$$(grep -ohE 'screenshots/[A-Za-z0-9_.-]+\.png' README.md docs/*.md | sed 's|.*/||' | sort -u | \
		while read -r f; do [ -f "$$shots/$$f" ] || echo "$$f"; done); \
	if [ -n "$$missing" ]; then echo "make screenshots: these pictures the documents show were not made:" $$missing; exit 1; fi; \
	rm -f docs/screenshots/*.png; cp "$$shots"/*.png docs/screenshots/; \
	echo "docs/screenshots: $$(ls "$$shots" | wc -l) pictures made"

# make package: dist/softtoken-linux-amd64.tar.xz (binary, .desktop entry,
# icon) and dist/softtoken-windows-amd64.exe (cross-compiled with mingw-w64,
# icon and metadata from FyneApp.toml), with the fyne tool.
FYNE_TOOLS_VERSION := v1.7.4
FYNE := $(shell $(GO) env GOPATH)/bin/fyne
DIST := dist

# The MSI, dist/softtoken-windows-amd64.msi (docs/windows.md): the WiX 3
# source assets/windows/softtoken.wxs built by Debian's wixl around the
# .exe, with FyneApp.toml's Version and an .ico made from its Icon. With
# SIGN_CERT and SIGN_KEY (PEM files; SIGN_PASSFILE holds the key's password
# if it has one, SIGN_TIMESTAMP names a time-stamping server), osslsigncode
# signs the .exe (Authenticode, SHA-256) before it goes in, and the .msi.
WINDOWS_MSI := $(DIST)/softtoken-windows-amd64.msi
MSI_WXS     := assets/windows/softtoken.wxs
# APP_VERSION is FyneApp.toml's Version, which every package carries.
APP_VERSION := $(shell sed -n 's/^[[:space:]]*Version[[:space:]]*=[[:space:]]*"\(.*\)"/\1/p' FyneApp.toml)
MSI_ICON    := $(shell sed -n 's/^[[:space:]]*Icon[[:space:]]*=[[:space:]]*"\(.*\)"/\1/p' FyneApp.toml)
SIGN_CERT ?=
SIGN_KEY  ?=
define sign_windows
	$(if $(SIGN_CERT),osslsigncode sign -certs $(SIGN_CERT) -key $(SIGN_KEY) $(if $(SIGN_PASSFILE),-readpass $(SIGN_PASSFILE)) \
		$(if $(SIGN_TIMESTAMP),-ts $(SIGN_TIMESTAMP)) -h sha256 -n softtoken -i https://github.com/softtoken/softtoken \
		-in $(1) -out $(1).signed && mv $(1).signed $(1))
endef

# make sign-windows SIGN_FILE=F SIGN_CERT=… SIGN_KEY=…: sign one file as
# make package does (app/wintest's TestSigning runs it).
sign-windows:
	@[ -n "$(SIGN_FILE)" ] && [ -n "$(SIGN_CERT)" ] && [ -n "$(SIGN_KEY)" ] || { echo "make sign-windows needs SIGN_FILE, SIGN_CERT and SIGN_KEY"; exit 1; }
	$(call sign_windows,$(SIGN_FILE))

package-deps: deps
	$(call install_missing,wixl imagemagick $(if $(SIGN_CERT),osslsigncode))
	@dpkg-query -W -f='$${Status}' gcc-mingw-w64-x86-64 2>/dev/null | grep -q 'ok installed' || { \
		$(SUDO) apt-get update -qq; DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends gcc-mingw-w64-x86-64; }
	@[ -x $(FYNE) ] || $(GO) install fyne.io/tools/cmd/fyne@$(FYNE_TOOLS_VERSION)

package: package-deps ## the Linux and Windows packages, in dist/
	mkdir -p $(DIST)/stage
	$(GO) build -tags $(APP_TAGS) -trimpath -ldflags "-s -w $(LDFLAGS)" -o $(DIST)/stage/softtoken ./app
	# The fyne tool reads FyneApp.toml next to the main package, and counts
	# its Build up after each package: a fresh copy for each, so both carry
	# the version FyneApp.toml says (make test-windows checks the .exe's).
	sed 's|Icon = "assets/|Icon = "../assets/|' FyneApp.toml > app/FyneApp.toml
	cd app && $(FYNE) package --os linux --release --exe ../$(DIST)/stage/softtoken \
		&& mv softtoken.tar.xz ../$(DIST)/softtoken-linux-amd64.tar.xz \
		|| { rm -f FyneApp.toml; exit 1; }
	sed 's|Icon = "assets/|Icon = "../assets/|' FyneApp.toml > app/FyneApp.toml
	cd app && CC=x86_64-w64-mingw32-gcc CGO_ENABLED=1 $(FYNE) package --os windows --release --tags $(APP_TAGS) \
		&& mv softtoken.exe ../$(DIST)/softtoken-windows-amd64.exe \
		|| { rm -f FyneApp.toml; exit 1; }
	rm -f app/FyneApp.toml
	$(call sign_windows,$(DIST)/softtoken-windows-amd64.exe)
	convert $(MSI_ICON) -define icon:auto-resize=256,64,48,32,16 $(DIST)/stage/softtoken.ico
	wixl -a x64 -D Version=$(APP_VERSION) -D Exe=$(DIST)/softtoken-windows-amd64.exe -D Icon=$(DIST)/stage/softtoken.ico \
		-o $(WINDOWS_MSI) $(MSI_WXS)
	$(call sign_windows,$(WINDOWS_MSI))
	@ls -l $(DIST)/softtoken-linux-amd64.tar.xz $(DIST)/softtoken-windows-amd64.exe $(WINDOWS_MSI)
	@$(MAKE) --no-print-directory package-linux

# make package-linux (run by make package, after the tarball): the .deb and
# .rpm of the app (softtoken) and of the server (softtoken-server, with its
# systemd unit), in dist/, made by nfpm from app/packaging/nfpm.yaml and
# server/packaging/nfpm.yaml (docs/deploy.md, "Linux packages and the
# service"). The app's package takes the binary, .desktop entry and icon of
# the fyne tool's tarball; the server's binary is static (no cgo). Both
# carry FyneApp.toml's version. make test-packages installs them on this
# machine and starts the server from its unit.
LINUXPKG_NFPM    := github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.48.0
LINUXPKG_STAGE   := $(DIST)/stage/linux
LINUXPKG_TARBALL := $(DIST)/softtoken-linux-amd64.tar.xz

package-linux:
	@[ -f $(LINUXPKG_TARBALL) ] || { echo "no $(LINUXPKG_TARBALL): run make package"; exit 1; }
	rm -rf $(LINUXPKG_STAGE) $(DIST)/softtoken*.deb $(DIST)/softtoken*.rpm
	mkdir -p $(LINUXPKG_STAGE)/tarball $(LINUXPKG_STAGE)/app $(LINUXPKG_STAGE)/container/empty
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w" -o $(LINUXPKG_STAGE)/softtoken-server ./server/cmd/softtoken-server
	# the container image's build context: the binary and an empty folder
	ln -f $(LINUXPKG_STAGE)/softtoken-server $(LINUXPKG_STAGE)/container/softtoken-server
	GOBIN=$(abspath $(LINUXPKG_STAGE)) $(GO) install $(LINUXPKG_NFPM)
	tar -xJf $(LINUXPKG_TARBALL) -C $(LINUXPKG_STAGE)/tarball
	cd $(LINUXPKG_STAGE)/tarball && for f in bin/softtoken share/applications/io.github.softtoken.desktop share/pixmaps/io.github.softtoken.png; do \
		found=$$(find . -path "*/usr/*$$f" | head -1); \
		[ -n "$$found" ] || { echo "the fyne tarball has no $$f"; exit 1; }; \
		cp "$$found" ../app/; done
	for cfg in app/packaging/nfpm.yaml server/packaging/nfpm.yaml; do for fmt in deb rpm; do \
		LINUXPKG_VERSION=$(APP_VERSION) $(LINUXPKG_STAGE)/nfpm package --config $$cfg --packager $$fmt --target $(DIST)/ || exit 1; \
	done; done
	@ls -l $(DIST)/softtoken*.deb $(DIST)/softtoken*.rpm

# make container: the server's image (server/Containerfile) from the static
# binary make package-linux built, with the first builder found (podman,
# buildah, or docker with a running daemon); without one it says so and
# fails. Not in CI: these machines have none (docs/deploy.md).
CONTAINER_IMAGE ?= softtoken-server:$(APP_VERSION)

container:
	@[ -x $(LINUXPKG_STAGE)/container/softtoken-server ] || { echo "no $(LINUXPKG_STAGE)/container/softtoken-server: run make package"; exit 1; }
	@if command -v podman >/dev/null; then b="podman build"; \
	elif command -v buildah >/dev/null; then b="buildah bud"; \
	elif command -v docker >/dev/null && docker info >/dev/null 2>&1; then b="docker build"; \
	else echo "no container builder here (podman, buildah, or docker with a daemon): server/Containerfile is not built"; exit 1; fi; \
	echo "$$b -f server/Containerfile -t $(CONTAINER_IMAGE) $(LINUXPKG_STAGE)/container"; \
	$$b -f server/Containerfile -t $(CONTAINER_IMAGE) $(LINUXPKG_STAGE)/container

# make test-packages: the packages make package-linux made, installed on
# this machine with dpkg and purged again (internal/linuxpkg, behind the
# build tag linuxpkg): the server started as its unit says (its user, its
# environment file) until /readyz answers, the app's files and desktop
# entry; the .rpm files read back with rpm; server/Containerfile's image
# laid out by hand and run in a chroot (no builder here). As root: it
# installs packages.
LINUXPKG_TEST_PACKAGES := rpm desktop-file-utils systemd

test-packages:
	$(call install_missing,$(LINUXPKG_TEST_PACKAGES))
	SOFTTOKEN_LINUXPKG_DIST=$(abspath $(DIST)) SOFTTOKEN_LINUXPKG_VERSION=$(APP_VERSION) \
		$(GO) test -tags linuxpkg -count=1 -timeout 5m -v ./internal/linuxpkg

# make test-windows: the Windows binary that `make package` built, run
# under Debian's Wine (app/wintest, behind the build tag wine): its command
# line against oathtool, enrolment through squid named by the Internet
# Settings in Wine's registry, its window under Xvfb (read back by OCR) and
# the single-instance guard, and the MSI installed, upgraded (to versions
# built there with wixl) and removed with msiexec (docs/windows.md). It
# never builds the binary.
# The enrolment test puts a test CA in the system's store, which Wine
# trusts; the trap takes out any a killed run left.
WINDOWS_EXE := $(DIST)/softtoken-windows-amd64.exe
WINE_PACKAGES := wine64 gcc-mingw-w64-x86-64 wixl osslsigncode xvfb openbox xdotool x11-utils x11-xkb-utils imagemagick tesseract-ocr oathtool squid

test-windows-deps:
	$(call install_missing,$(WINE_PACKAGES))

test-windows: test-windows-deps ## the packaged Windows binary under Wine
	@[ -f $(WINDOWS_EXE) ] || { echo "no $(WINDOWS_EXE) to test: run make package first"; exit 1; }
	trap 'if ls /usr/local/share/ca-certificates/softtoken-wintest-*.crt >/dev/null 2>&1; then \
		rm -f /usr/local/share/ca-certificates/softtoken-wintest-*.crt; $(SUDO) update-ca-certificates --fresh >/dev/null; fi' EXIT; \
	SOFTTOKEN_WINDOWS_EXE=$(abspath $(WINDOWS_EXE)) $(GO) test -tags wine -count=1 -timeout 10m -v ./app/wintest

clean:
	rm -rf $(BIN) $(DIST)
