package adminapi

import (
	_ "embed"
	"encoding/json"
	"net/http"

	"github.com/softtoken/softtoken/server/account"
)

// routes are the API's paths and methods; openapi.json describes the
// same (TestOpenAPIMatchesRoutes).
func (a *api) routes() []route {
	post := func(h handler) map[string]handler { return map[string]handler{http.MethodPost: h} }
	get := func(h handler) map[string]handler { return map[string]handler{http.MethodGet: h} }
	users := Prefix + "users"
	return []route{
		{path: users, methods: map[string]handler{http.MethodGet: a.listUsers, http.MethodPost: a.addUser}},
		{path: users + "/{id}", methods: map[string]handler{http.MethodGet: a.getUser, http.MethodDelete: a.deleteUser}},
		{path: users + "/{id}/unlock", methods: post(a.unlock)},
		{path: users + "/{id}/logout", methods: post(a.logout)},
		{path: users + "/{id}/temp-passcode", methods: post(a.tempPasscode)},
		{path: users + "/{id}/initial-passcode", methods: post(a.initialPasscode)},
		{path: users + "/{id}/phone", methods: post(a.phone)},
		{path: users + "/{id}/reset", methods: post(a.reset)},
		{path: users + "/{id}/disable", methods: post(a.disable)},
		{path: users + "/{id}/enable", methods: post(a.enable)},
		{path: Prefix + "sessions", methods: get(a.sessions)},
		{path: Prefix + "audit", methods: get(a.audit)},
		{path: Prefix + "openapi.json", methods: get(openAPI), public: true},
	}
}

// openapi is the OpenAPI 3.1 document of the API.
//
//go:embed openapi.json
var openapi []byte

// openAPI is GET /openapi.json: the document, to every client (it holds
// nothing a key protects).
func openAPI(*http.Request, account.Actor) (int, any, error) {
	return http.StatusOK, json.RawMessage(openapi), nil
}

// sessionJSON is a session as the API shows it.
type sessionJSON struct {
	UserID string `json:"userid"`
	Open   bool   `json:"open"`
	// Until is when a closed session stops holding its user.
	Until string `json:"until,omitempty"`
}

// sessions is GET /sessions.
func (a *api) sessions(r *http.Request, by account.Actor) (int, any, error) {
	if err := params(r.URL.Query()); err != nil {
		return 0, nil, err
	}
	list, err := a.cfg.Accounts.Sessions(r.Context(), by)
	if err != nil {
		return 0, nil, err
	}
	out := make([]sessionJSON, len(list))
	for i, s := range list {
		out[i] = sessionJSON{UserID: s.UserID, Open: s.Open}
		if !s.Open {
			out[i].Until = stamp(s.Until)
		}
	}
	return http.StatusOK, map[string]any{"sessions": out}, nil
}

// eventJSON is an audit record as the API shows it.
type eventJSON struct {
	Seq     int64  `json:"seq"`
	At      string `json:"at"`
	UserID  string `json:"userid"`
	Client  string `json:"client"`
	Event   string `json:"event"`
	Outcome string `json:"outcome"`
	// Code is the outcome's code: an old record's word translated
	// (docs/audit.md), as `audit --json` prints it.
	Code   string `json:"code"`
	Detail string `json:"detail"`
}

// audit is GET /audit.
func (a *api) audit(r *http.Request, by account.Actor) (int, any, error) {
	f, err := auditFilter(r.URL.Query())
	if err != nil {
		return 0, nil, err
	}
	events, err := a.cfg.Accounts.AuditEvents(r.Context(), by, f)
	if err != nil {
		return 0, nil, err
	}
	out := make([]eventJSON, len(events))
	for i, e := range events {
		out[i] = eventJSON{Seq: e.Seq, At: stamp(e.At), UserID: e.UserID, Client: e.Client, Event: e.Event,
			Outcome: e.Outcome, Code: string(e.Code), Detail: e.Detail}
	}
	return http.StatusOK, map[string]any{"events": out}, nil
}
