package server_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/servertest"
	"github.com/softtoken/softtoken/server/store"
	"github.com/softtoken/softtoken/server/wire"
)

// The administrator's recovery commands (issue 16, item 5), each run as
// `softtoken-server` against the real server's database.

// audited returns the detail of each of userID's audit records of event,
// as `softtoken-server audit --json` prints them (one JSON object a line).
func audited(t *testing.T, s *servertest.Server, userID, event string) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s.Admin("", "audit", "--json", "--user", userID)))
	var out []string
	for dec.More() {
		var e store.AuditEvent
		if err := dec.Decode(&e); err != nil {
			t.Fatal(err)
		}
		if e.Event == event {
			out = append(out, e.Outcome+": "+e.Detail)
		}
	}
	return out
}

// `user unlock` lets a user locked by 10 wrong passcodes log in at once
// with the token they have, and changes nothing else.
func TestUnlockLetsALockedUserLogInWithTheirToken(t *testing.T) {
	s := open(t, servertest.Options{})
	tok := enrolled(t, s, "trader")
	before := show(t, s, "trader")
	lock(t, s, "trader")
	s.Clock.Advance(30 * time.Second)
	c := s.Dial()
	if r := c.Login("trader", "trader-pass", codeAt(t, s, tok, 0)); r.Result != wire.ResultLocked {
		t.Fatalf("locked user with the right passcode: %+v", r)
	}
	c.Close()
	out := s.Admin("", "user", "unlock", "trader")
	if !strings.Contains(out, "Unlocked user trader (was locked until") || !strings.Contains(out, "10 failures cleared") {
		t.Errorf("user unlock printed %q", out)
	}
	c = s.Dial()
	defer c.Close()
	if r := c.Login("trader", "trader-pass", codeAt(t, s, tok, 0)); r.Result != wire.ResultOK {
		t.Errorf("after user unlock, the token's passcode: %+v", r)
	}
	after := show(t, s, "trader")
	if after.LockedUntil != nil || after.Failures != 0 || after.TokenSerial != before.TokenSerial || !after.Active {
		t.Errorf("after user unlock: %+v, before the lock: %+v", after, before)
	}
	if got := audited(t, s, "trader", "user unlock"); len(got) != 1 || !strings.HasPrefix(got[0], "ok: was locked until") {
		t.Errorf("audit: %q", got)
	}
}

// profileOf is every field `user show` prints of userID.
func profileOf(t *testing.T, s *servertest.Server, userID string) map[string]any {
	t.Helper()
	var u map[string]any
	if err := json.Unmarshal([]byte(s.Admin("", "user", "show", userID)), &u); err != nil {
		t.Fatal(err)
	}
	return u
}

// `user update` changes the fields it names and no other, and a profile
// change is no change of credentials: the token works on.
func TestUpdateChangesOnlyTheNamedFields(t *testing.T) {
	s := open(t, servertest.Options{})
	s.Admin("trader-pass\n", "user", "add", "--email", "trader@example.com", "--phone", "+447700900123", "--firm", "FINT",
		"--roles", "fx", "--attr", `{"desk": "FX", "limit": 5}`, "trader")
	tok := s.Enrol("trader", "trader-pass", s.InitialPasscode("trader"))
	before := profileOf(t, s, "trader")
	var out struct {
		Changed []string `json:"changed"`
	}
	raw := s.Admin("", "user", "update", "--json", "--email", "t2@example.com", "--attr", `{"desk": "rates"}`, "trader")
	if err := json.Unmarshal([]byte(raw), &out); err != nil || strings.Join(out.Changed, ",") != "attr,email" {
		t.Errorf("user update --json printed %s (%v)", raw, err)
	}
	after := profileOf(t, s, "trader")
	want := map[string]any{"email": "t2@example.com", "attr": map[string]any{"desk": "rates"}}
	for k := range after {
		w, named := want[k]
		if !named {
			w = before[k]
		}
		if !reflect.DeepEqual(after[k], w) {
			t.Errorf("%s: %v after the update, want %v", k, after[k], w)
		}
	}
	if len(after) != len(before) {
		t.Errorf("fields before: %v; after: %v", before, after)
	}
	s.Clock.Advance(30 * time.Second)
	if got := s.Verify("trader", "trader-pass", codeAt(t, s, tok, 0)); got != wire.ResultOK {
		t.Errorf("the token after a profile change: %s", got)
	}
	if got := audited(t, s, "trader", "profile"); len(got) != 1 || got[0] != "ok: changed attr, email" {
		t.Errorf("audit: %q", got)
	}
}

// A new number for an SMS user is a change of credentials: the login
// waiting for the code sent to the old number ends, that code no longer
// works, the next one goes to the new number, and the user is told by
// mail.
func TestNewNumberOfAnSMSUserEndsTheirSignIns(t *testing.T) {
	s := open(t, servertest.Options{})
	s.Admin("sally-pass\n", "user", "add", "--sms", "--phone", "+447700900123", "--email", "sally@example.com", "sally")
	c := s.Dial()
	defer c.Close()
	if r := c.Login("sally", "sally-pass", ""); r.Result != wire.ResultNeed2FA {
		t.Fatalf("login without a passcode: %+v", r)
	}
	old := s.LastSMS("+447700900123")
	s.Admin("", "user", "update", "--phone", "+44 7700 900456", "sally")
	if r := c.Send(map[string]string{"type": "send2fatoken", "2fatoken": old}); r.Result != wire.ResultNotLoggedIn {
		t.Errorf("the login begun before the new number, with the old number's code: %+v", r)
	}
	if got := s.Verify("sally", "sally-pass", old); got != wire.ResultInvalidToken {
		t.Errorf("the old number's code in a new login: %s", got)
	}
	c2 := s.Dial()
	defer c2.Close()
	if r := c2.Login("sally", "sally-pass", ""); r.Result != wire.ResultNeed2FA || !strings.Contains(r.Message, "+44…456") {
		t.Fatalf("login after the new number: %+v", r)
	}
	if r := c2.Send(map[string]string{"type": "send2fatoken", "2fatoken": s.LastSMS("+447700900456")}); r.Result != wire.ResultOK {
		t.Errorf("the code sent to the new number: %+v", r)
	}
	notices := 0
	for _, m := range s.Outbox("sally@example.com") {
		if strings.Contains(m, "Your mobile number for passcodes was changed") && strings.Contains(m, "+44…456") {
			notices++
		}
	}
	if notices != 1 {
		t.Errorf("%d mail notices of the new number, want 1", notices)
	}
	if got := audited(t, s, "sally", "profile"); len(got) != 1 || got[0] != "ok: changed phone; passcodes by SMS to +44…456" {
		t.Errorf("audit: %q", got)
	}
}

// Within 30 days of a temporary passcode, `user temp-passcode` refuses a
// second one unless the administrator overrides the rule with a reason;
// the overriding passcode works, and `audit --json` shows the reason.
func TestOverrideIssuesASecondTempPasscodeWithin30Days(t *testing.T) {
	s := open(t, servertest.Options{})
	enrolled(t, s, "trader")
	tempPasscode(t, s, "trader")
	s.Clock.Advance(10 * 24 * time.Hour)
	if _, err := s.TryAdmin("", "user", "temp-passcode", "trader"); err == nil || !strings.Contains(err.Error(), "too soon") {
		t.Fatalf("a second one within 30 days: %v", err)
	}
	if _, err := s.TryAdmin("", "user", "temp-passcode", "--override-30-days", "trader"); err == nil || !strings.Contains(err.Error(), "needs --reason") {
		t.Errorf("an override without a reason: %v", err)
	}
	var out struct {
		Code       string `json:"temporary_passcode"`
		Overridden bool   `json:"overrode_30_day_rule"`
	}
	raw := s.Admin("", "user", "temp-passcode", "--days", "2", "--override-30-days", "--reason", "trader at the desk, passport checked by J. Smith", "trader")
	if err := json.Unmarshal([]byte(raw), &out); err != nil || out.Code == "" || !out.Overridden {
		t.Fatalf("the override printed %s (%v)", raw, err)
	}
	if got := s.Verify("trader", "trader-pass", out.Code); got != wire.ResultOK {
		t.Errorf("the overriding passcode: %s", got)
	}
	got := audited(t, s, "trader", "temporary passcode")
	if len(got) != 3 || !strings.HasPrefix(got[1], "too_soon") ||
		!strings.HasSuffix(got[2], "; 30-day rule overridden (the last was issued on 2027-01-15): trader at the desk, passport checked by J. Smith") ||
		strings.Contains(got[2], out.Code) {
		t.Errorf("audit: %q", got)
	}
}

// listed is the user IDs `user list --json` prints with flags, sorted.
func listed(t *testing.T, s *servertest.Server, flags ...string) string {
	t.Helper()
	var users []struct {
		UserID string `json:"userid"`
	}
	raw := s.Admin("", append([]string{"user", "list", "--json"}, flags...)...)
	if err := json.Unmarshal([]byte(raw), &users); err != nil {
		t.Fatalf("user list %v printed %s: %v", flags, raw, err)
	}
	var ids []string
	for _, u := range users {
		ids = append(ids, u.UserID)
	}
	slices.Sort(ids)
	return strings.Join(ids, " ")
}

// `user list --locked | --unenrolled | --disabled` list exactly the users
// locked now, active without a token or SMS, and not active; together,
// those that are all of them.
func TestUserListFilters(t *testing.T) {
	s := open(t, servertest.Options{})
	enrolled(t, s, "fine")
	enrolled(t, s, "locked")
	lock(t, s, "locked")
	s.AddUser("fresh", "fresh-pass")
	s.AddUser("fresh-locked", "fresh-locked-pass")
	lock(t, s, "fresh-locked")
	s.Admin("texter-pass\n", "user", "add", "--sms", "--phone", "+447700900123", "texter")
	enrolled(t, s, "gone")
	s.AddUser("gone-fresh", "gone-fresh-pass")
	for _, u := range []string{"gone", "gone-fresh"} {
		s.Admin("", "user", "disable", u)
	}
	for _, tc := range []struct {
		flags []string
		want  string
	}{
		{nil, "admin fine fresh fresh-locked gone gone-fresh locked texter"},
		{[]string{"--locked"}, "fresh-locked locked"},
		{[]string{"--unenrolled"}, "fresh fresh-locked"}, // a service account has no token by design
		{[]string{"--disabled"}, "gone gone-fresh"},
		{[]string{"--locked", "--unenrolled"}, "fresh-locked"},
		{[]string{"--unenrolled", "--disabled"}, ""},
	} {
		if got := listed(t, s, tc.flags...); got != tc.want {
			t.Errorf("user list %v: %q, want %q", tc.flags, got, tc.want)
		}
	}
	if out := s.Admin("", "user", "list", "--locked"); !strings.Contains(out, "fresh-locked") || strings.Contains(out, "fine") {
		t.Errorf("user list --locked in text:\n%s", out)
	}
	s.Clock.Advance(16 * time.Minute)
	if got := listed(t, s, "--locked"); got != "" {
		t.Errorf("user list --locked once the locks ended: %q", got)
	}
	if _, err := s.TryAdmin("", "user", "list", "--stale"); err == nil || !strings.Contains(err.Error(), "flag provided but not defined") {
		t.Errorf("user list --stale: %v", err)
	}
}
