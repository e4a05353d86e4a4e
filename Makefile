# softtoken: the two commands a newcomer needs are `make run` and `make test`.
# Every target first installs what a fresh Debian machine lacks (only the
# missing packages), so nothing is ever set up by hand.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

GO      ?= go
BIN     := bin
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
# Fuzz time per target in `make test`; `make fuzz FUZZTIME=5m` for longer runs.
FUZZTIME ?= 5s
# package:FuzzTarget, one per parser of untrusted input.
FUZZ := ./token:FuzzParseURI ./token/keyringstore:FuzzDecode ./server/wire:FuzzDecode ./enrolclient:FuzzURLs

# Fyne's cgo build (GLFW), a virtual display, a real keyring for tests, and
# oathtool as an independent OTP implementation to check codes against, and a
# JDK to run the protocol seed's Java client sample against the server.
APT_PACKAGES := gcc pkg-config libgl1-mesa-dev libxcursor-dev libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev \
	xvfb gnome-keyring dbus-x11 libsecret-tools oathtool openjdk-17-jdk-headless
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

# Fyne logs a locale error under the C locale without this.
export LANGUAGE := en_US

.PHONY: deps build run test vet fmt-check server-check fuzz clean

deps: ## install the missing Debian packages
	@missing=$$(for p in $(APT_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing missing packages:" $$missing; \
		$(SUDO) apt-get update -qq; \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@command -v $(GO) >/dev/null || { echo "Go is not installed: see https://go.dev/doc/install"; exit 1; }

build: deps ## build bin/softtoken and bin/softtoken-server
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/softtoken ./app
	CGO_ENABLED=0 $(GO) build -o $(BIN)/softtoken-server ./server/cmd/softtoken-server

run: build ## build and open the app
	@if [ -z "$${DISPLAY:-}$${WAYLAND_DISPLAY:-}" ]; then \
		echo "make run needs a desktop session (DISPLAY is not set)"; exit 1; fi
	$(BIN)/softtoken

vet: deps
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files -co --exclude-standard '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

server-check: ## the server builds without cgo and never depends on Fyne
	CGO_ENABLED=0 $(GO) build ./server/...
	@if $(GO) list -deps ./server/... | grep -q '^fyne.io/'; then \
		echo "a package under server/ depends on Fyne"; exit 1; fi

# The tests run inside a private D-Bus session with a fresh gnome-keyring
# (its files in a temporary folder), so they use a real Secret Service and
# never touch the user's own keyring.
define with_keyring
dbus-run-session -- bash -c 'set -eu; kr=$$(mktemp -d); trap "rm -rf $$kr" EXIT; \
	echo -n softtoken-test | XDG_DATA_HOME=$$kr gnome-keyring-daemon --unlock --daemonize --components=secrets >/dev/null; \
	$(1)'
endef

test: deps vet fmt-check server-check ## everything CI runs
	$(call with_keyring,SOFTTOKEN_REQUIRE_KEYRING=1 SOFTTOKEN_REQUIRE_TOOLS=1 $(GO) test -race -count=1 ./...)
	@$(MAKE) --no-print-directory fuzz

fuzz: ## run every fuzz target for FUZZTIME
	@for t in $(FUZZ); do \
		pkg=$${t%%:*}; fn=$${t##*:}; \
		echo "fuzz $$fn in $$pkg for $(FUZZTIME)"; \
		$(GO) test -run='^$$' -fuzz="^$$fn\$$" -fuzztime=$(FUZZTIME) $$pkg; \
	done

clean:
	rm -rf $(BIN)
