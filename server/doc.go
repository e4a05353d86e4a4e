// Package server is the root of softtoken's companion server: users,
// enrolment, verification over the websocket protocol, the enrol site and
// self-help desk, temporary passcodes, SMS and audit. [New] builds its
// HTTP handler, in one place, for `serve` and for the tests; [Open] and
// [OpenAccounts] open its [Storage] for `serve` and the admin commands,
// which so never hold the store themselves.
//
// The packages below it, by what they hold:
//
//   - account: the rules service: every change to a user and every check of
//     a secret, each in store transactions with its audit record, and the
//     lockout and throttling policy (docs/protocol.md, "Lockout")
//   - store, sqlstore: the data model and its transactions; their one SQL
//     implementation, which sqlite (the embedded default) and postgres
//     (several nodes on one database) open
//   - ws, web, cli: adapters that parse a request, call one method of
//     account and render the result: the websocket protocol at /ws, the
//     pages, and the admin commands; cmd/softtoken-server is the binary
//   - wire: the protocol's messages, shared with clients; wire/wireclient,
//     the one client of the protocol (the challenge's key, encryption,
//     requests), which enrolclient, servertest and stress wrap
//   - request: the client's address and scheme, from the connection or a
//     trusted proxy's headers, alike for the websocket and the pages
//   - challenge: the RSA keys of the challenge step
//   - password, seal: argon2id hashes; seeds sealed under the master key
//   - mail, sms, outbox: welcome mails and notices; text messages; the
//     folder either goes to when no server is set
//   - ratelimit, retry: token buckets per key; retries with back-off
//   - servertest, browsertest: the real server in-process, a raw protocol
//     client, a browser of the pages and a store that fails on demand;
//     headless Chromium for the page tests
//
// All of it is pure Go: it builds with CGO_ENABLED=0, never imports Fyne or
// a client package (enrolclient, token/keyringstore), and the
// softtoken-server binary links no protocol client (wireclient, servertest,
// stress), which `make test` checks.
package server
