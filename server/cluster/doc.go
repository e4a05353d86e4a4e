// Package cluster holds the proof that several softtoken-server nodes on
// one PostgreSQL database keep the guarantees of one node (issue 13), and
// the measurements of docs/benchmarks.md, "Several nodes": its tests start
// real server processes (the binary, built once per test run) on a real
// PostgreSQL (package pgtest) with one master key file, talk to them over
// the websocket protocol, and kill them with SIGKILL.
//
// It has no code of its own: everything is in its tests.
package cluster
