package account

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/softtoken/softtoken/server/directory"
	"github.com/softtoken/softtoken/server/lang"
	"github.com/softtoken/softtoken/server/mail"
	"github.com/softtoken/softtoken/server/store"
)

// DirectorySync is the origin of the directory sync's changes: each is
// audited by the directory, via the directory sync.
var DirectorySync = Origin{Client: "directory", Via: "directory sync", by: "the directory"}

// SyncChange is one change the directory sync made, or would make.
type SyncChange struct {
	UserID string
	// Action is "add", "update", "disable" or "skip" (a member the sync
	// leaves as it is, Detail says why).
	Action string
	Detail string
	// Err is why the change failed (the others were made).
	Err    error
	person directory.Person
}

// SyncDirectory makes the users of softtoken follow the directory's group
// (Config.Directory): a user, with an initial passcode and its welcome
// mail in their language, for each new member; the mail, number and
// language of members who are users; and every directory user who left
// the group, or whom the directory disabled, disabled here. It never
// deletes, never touches a local user (one with the same user ID is
// skipped, as is a user ID several members have, which the password
// check refuses too), and never enables again a user disabled here. dryRun says
// what it would do and changes nothing. A group that lists nobody while
// directory users are active is refused (a wrong --ldap-group would
// disable them all).
func (s *Service) SyncDirectory(ctx context.Context, dryRun bool) ([]SyncChange, error) {
	if s.cfg.Directory == nil {
		return nil, errors.New("directory sync: no directory configured")
	}
	people, err := s.cfg.Directory.Members(ctx)
	if err != nil {
		return nil, fmt.Errorf("directory sync: %w", err)
	}
	var users []store.User
	if err := s.st.View(ctx, func(tx store.ReadTx) error { users, err = tx.ListUsers(); return err }); err != nil {
		return nil, err
	}
	plan, err := syncPlan(people, users)
	if err != nil || dryRun {
		return plan, err
	}
	for i := range plan {
		plan[i].Err = s.syncOne(ctx, &plan[i])
	}
	return plan, nil
}

// syncPlan is what the sync does to users for people.
func syncPlan(people []directory.Person, users []store.User) ([]SyncChange, error) {
	byID := make(map[string]store.User, len(users))
	activeDir := 0
	for _, u := range users {
		byID[throttleKey(u.UserID)] = u
		if u.Source == SourceDirectory && u.Active {
			activeDir++
		}
	}
	if len(people) == 0 && activeDir > 0 {
		return nil, fmt.Errorf("directory sync: the group lists nobody, and %d directory users are active: nothing disabled (check the group)", activeDir)
	}
	var plan []SyncChange
	members := make(map[string]int, len(people))
	for _, p := range people {
		members[throttleKey(p.UserID)]++
	}
	for _, p := range people {
		key := throttleKey(p.UserID)
		u, ok := byID[key]
		c := SyncChange{UserID: p.UserID, person: p}
		switch {
		case members[key] < 0:
			continue // a user ID of several members, told once
		case members[key] > 1:
			c.Action, c.Detail = "skip", fmt.Sprintf("%d members of the group have this user ID: the directory's password check refuses it", members[key])
			members[key] = -1
		case ok && u.Source != SourceDirectory:
			c.Action, c.Detail = "skip", "a local user has this user ID"
		case ok && u.DirectoryKey != "" && p.Key != "" && p.Key != u.DirectoryKey && u.Active:
			c.Action, c.Detail = "disable", "another person has this user ID in the directory now: delete the user here for the sync to add them"
		case ok && u.DirectoryKey != "" && p.Key != "" && p.Key != u.DirectoryKey:
			c.Action, c.Detail = "skip", "another person has this user ID in the directory now: delete the user here for the sync to add them"
		case !ok && p.Disabled:
			continue
		case ok && p.Disabled && u.Active: // whatever else the entry holds
			c.Action, c.Detail = "disable", "disabled in the directory"
		case p.Invalid != "":
			c.Action, c.Detail = "skip", p.Invalid
		case !ok:
			c.Action, c.Detail = "add", "initial passcode by welcome mail"
		default:
			if c.Detail = changes(u, p); c.Detail == "" {
				continue
			}
			c.UserID, c.Action = u.UserID, "update"
		}
		plan = append(plan, c)
	}
	for _, u := range users {
		if u.Source == SourceDirectory && u.Active && members[throttleKey(u.UserID)] == 0 {
			plan = append(plan, SyncChange{UserID: u.UserID, Action: "disable", Detail: "no longer in the directory's group"})
		}
	}
	return plan, nil
}

// changes names what of u differs from p ("" for nothing): the fields the
// directory has (a mail or number it lacks is left as it is here).
func changes(u store.User, p directory.Person) string {
	var c []string
	if p.Email != "" && p.Email != u.Email {
		c = append(c, "mail")
	}
	if p.Phone != "" && p.Phone != u.Phone {
		c = append(c, "phone")
	}
	if p.Lang != "" && p.Lang != u.Lang {
		c = append(c, "language")
	}
	return strings.Join(c, ", ")
}

// syncOne makes the change c.
func (s *Service) syncOne(ctx context.Context, c *SyncChange) error {
	o, p := DirectorySync, c.person
	switch c.Action {
	case "add":
		created, err := s.createUser(ctx, o, NewUser{UserID: p.UserID, Email: p.Email, Phone: p.Phone, Lang: p.Lang, Use2FA: true,
			InitialPasscode: true, OwnPassword: true, source: SourceDirectory, directoryKey: p.Key}, func(store.ReadTx) error { return nil })
		if err != nil {
			return err
		}
		u := store.User{UserID: created.User.UserID, Email: created.User.Email}
		expires := s.now().Add(InitialPasscodeValidity)
		c.Detail = "welcome mail " + s.notify(ctx, o, u, mail.Welcome(lang.Or(created.User.Lang), "", "", u.UserID, s.cfg.EnrolURL,
			created.InitialPasscode, expires, s.now()))
		return nil
	case "update":
		var pr Profile
		if p.Email != "" {
			pr.Email = &p.Email
		}
		if p.Phone != "" {
			pr.Phone = &p.Phone
		}
		if p.Lang != "" {
			pr.Lang = &p.Lang
		}
		_, err := s.updateProfile(ctx, o, ByAdmin(c.UserID), "profile", pr)
		return err
	case "disable":
		return s.setActive(ctx, o, ByAdmin(c.UserID), false, c.Detail)
	}
	return nil
}
