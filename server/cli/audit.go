package cli

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/auditchain"
)

// audit prints the audit: a table a person reads, with every field that
// could pose as something else escaped, or with --json one JSON object a
// line (JSON Lines) for log shippers. `audit verify` checks the chain.
func audit(ctx context.Context, env Env, args []string) error {
	if len(args) > 0 && args[0] == "verify" {
		return auditVerify(ctx, env, args[1:])
	}
	var c common
	f, err := auditFlags(env, &c, args)
	if err != nil {
		return err
	}
	d, err := c.open(ctx, env, account.Config{})
	if err != nil {
		return err
	}
	defer d.Close()
	events, err := d.acct.AuditEvents(ctx, account.CommandLine, f)
	if err != nil {
		return err
	}
	if c.json {
		return auditLines(env, events)
	}
	w := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "SEQ\tTIME\tUSER\tCLIENT\tEVENT\tOUTCOME")
	for _, e := range events {
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\n", e.Seq, e.At.UTC().Format(time.RFC3339),
			escaped(e.UserID), escaped(e.Client), escaped(e.Event), escaped(e.Outcome))
	}
	return w.Flush()
}

// auditFlags parses the flags of `audit` into the records to print.
func auditFlags(env Env, c *common, args []string) (account.AuditFilter, error) {
	var f account.AuditFilter
	var since, outcome string
	fs := newFlags(env, "audit", c)
	fs.StringVar(&f.UserID, "user", "", "only this user's events")
	fs.StringVar(&since, "since", "", "only events since a time (RFC 3339) or a duration ago (e.g. 24h)")
	fs.StringVar(&outcome, "outcome", "", "only events of this outcome `code` (ok, failed, invalid_login, …: docs/audit.md), old records by their words' code")
	if _, err := parse(fs, args, 0); err != nil {
		return f, err
	}
	if since != "" {
		if d, err := time.ParseDuration(since); err == nil {
			f.Since = env.Now().Add(-d)
		} else if t, err := time.Parse(time.RFC3339, since); err == nil {
			f.Since = t
		} else {
			return f, usagef("audit: --since takes a time like 2026-01-02T15:04:05Z or a duration like 24h")
		}
	}
	if outcome != "" {
		f.Outcome = account.Code(outcome)
		if !slices.Contains(account.AuditCodes(), f.Outcome) {
			return f, usagef("audit: --outcome takes a code: %s", joinCodes(account.AuditCodes()))
		}
	}
	return f, nil
}

// joinCodes is codes separated by commas.
func joinCodes(codes []account.Code) string {
	s := make([]string, len(codes))
	for i, c := range codes {
		s[i] = string(c)
	}
	return strings.Join(s, ", ")
}

// auditLine is one audit record as `audit --json` prints it.
type auditLine struct {
	Seq     int64  `json:"seq"`
	At      string `json:"at"`
	UserID  string `json:"userid"`
	Client  string `json:"client"`
	Event   string `json:"event"`
	Outcome string `json:"outcome"`
	// Code is the outcome's code: an old record's word translated
	// (docs/audit.md).
	Code   string `json:"code"`
	Detail string `json:"detail"`
	// Prev and Hash link the record into the chain, in hex.
	Prev string `json:"prev"`
	Hash string `json:"hash"`
}

// auditLines prints each event as one line of JSON: JSON escapes every
// control character, so that no field can break a line.
func auditLines(env Env, events []account.AuditEvent) error {
	enc := json.NewEncoder(env.Stdout)
	for _, e := range events {
		l := auditLine{Seq: e.Seq, At: e.At.UTC().Format(time.RFC3339), UserID: e.UserID, Client: e.Client, Event: e.Event,
			Outcome: e.Outcome, Code: string(e.Code), Detail: e.Detail, Prev: hex.EncodeToString(e.Prev), Hash: hex.EncodeToString(e.Hash)}
		if err := enc.Encode(l); err != nil {
			return err
		}
	}
	return nil
}

// escaped is s as the audit table shows it: as it is when it is UTF-8 of
// printable runes only, else quoted with Go's escapes (\n, \x1b, \x9b,
// \u202e, …), so that a record prints on one line and nothing in it moves
// the terminal, and a field that was escaped is told by its quotes from
// one that was not.
func escaped(s string) string {
	if !utf8.ValidString(s) {
		return strconv.Quote(s) // a stray byte such as 0x9b is a terminal's CSI
	}
	for _, r := range s {
		if !unicode.IsPrint(r) || r == '"' || r == '\\' {
			return strconv.Quote(s)
		}
	}
	return s
}

// auditVerify checks the audit's whole hash chain; a break names the
// first record changed, removed or inserted, and is an error (exit
// status 1).
func auditVerify(ctx context.Context, env Env, args []string) error {
	var c common
	fs := newFlags(env, "audit verify", &c)
	var witnesses []auditchain.Witness
	fs.Func("expect", "`SEQ:HASH`, a record seen earlier (the head serve logs every hour, or that audit verify printed) that must still be there; may be repeated", func(v string) error {
		w, err := parseWitness(v)
		witnesses = append(witnesses, w)
		return err
	})
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	d, err := c.open(ctx, env, account.Config{})
	if err != nil {
		return err
	}
	defer d.Close()
	sum, err := d.acct.VerifyAudit(ctx, witnesses...)
	var brk *auditchain.Break
	if errors.As(err, &brk) {
		if c.json {
			_ = printJSON(env.Stdout, map[string]any{"ok": false, "seq": brk.Seq, "at": jsonTime(brk.At), "problem": brk.What})
		}
		return fmt.Errorf("the audit was tampered with: %w", err)
	}
	if err != nil {
		return err
	}
	from, err := d.acct.AuditCodesFrom(ctx)
	if err != nil {
		return err
	}
	h := sum.Head
	text := fmt.Sprintf("The audit holds: %d records, none changed, removed or inserted; the last is record %d, hash %x.", sum.Records, h.Seq, h.Hash)
	if h.Earlier > 0 {
		text += fmt.Sprintf(" The chain began on %s: the %d records before it were linked then, and are checked from then on only.",
			h.Began.UTC().Format(time.RFC3339), h.Earlier)
	}
	if from > 1 {
		text += fmt.Sprintf(" Outcomes are codes from record %d on; the records before hold the words of their time (docs/audit.md).", from)
	}
	return c.report(env, map[string]any{"ok": true, "records": sum.Records, "head_seq": h.Seq, "head_hash": hex.EncodeToString(h.Hash),
		"began": jsonTime(h.Began), "earlier": h.Earlier, "codes_from": from}, text)
}

// jsonTime is t in RFC 3339, or "" for no time.
func jsonTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// parseWitness reads SEQ:HASH (the hash in hex).
func parseWitness(v string) (auditchain.Witness, error) {
	seq, h, ok := strings.Cut(v, ":")
	n, err1 := strconv.ParseInt(seq, 10, 64)
	hash, err2 := hex.DecodeString(h)
	if !ok || err1 != nil || err2 != nil || n < 1 || len(hash) != auditchain.Size {
		return auditchain.Witness{}, fmt.Errorf("%q is not SEQ:HASH (a record number, and its hash in hex as audit verify prints it)", v)
	}
	return auditchain.Witness{Seq: n, Hash: hash}, nil
}
