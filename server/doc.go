// Package server is the companion server of softtoken: users, enrolment,
// verification over the websocket protocol, the self-help desk, temporary
// passcodes and audit. It is pure Go: it builds with CGO_ENABLED=0 and never
// imports Fyne, which `make test` checks. (It arrives with the server work;
// this file reserves the package.)
package server
