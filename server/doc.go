// Package server is the root of softtoken's companion server: users,
// enrolment, verification over the websocket protocol, temporary passcodes
// and audit. The code lives in its subpackages: cmd/softtoken-server (the
// binary), cli (its commands), ws (the protocol), wire (the messages),
// auth (verification rules), challenge (RSA keys), store and sqlite
// (storage), password and seal (hashing and sealing), mail, and servertest
// (the real server for client tests). All of it is pure Go: it builds with
// CGO_ENABLED=0 and never imports Fyne, which `make test` checks.
package server
