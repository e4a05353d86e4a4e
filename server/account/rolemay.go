package account

// May reports whether an operator of role r may make the change named as
// the audit names it ("user unlock", "user logout", "temporary passcode",
// "initial passcode", "phone", "user enable", "user disable", "user
// reset", "user delete"), so that an adapter offers only what the role
// allows; the rules still decide each request.
func (r Role) May(change string) bool { return r.may(change) }
