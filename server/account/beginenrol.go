package account

import "context"

// EnrolProof is what proves a user who begins an enrolment: a One Swipe
// enrolment code, or else the password and a passcode (the welcome
// mail's initial passcode included).
type EnrolProof struct {
	OneSwipe string
	Password []byte
	Passcode string
}

// BeginEnrolment is the first step of an enrolment over the protocol: it
// proves userID with p (UseEnrolCode, or CheckPassword then
// CheckEnrolPasscode) and offers a new seed (NewEnrolment), which says
// whether the user must choose security questions first
// (Enrolment.NeedsAnswers). The proof's errors are theirs.
func (s *Service) BeginEnrolment(ctx context.Context, o Origin, userID string, p EnrolProof) (*Enrolment, error) {
	var g Grant
	var err error
	if p.OneSwipe != "" {
		g, err = s.UseEnrolCode(ctx, o, userID, p.OneSwipe)
	} else if g, _, err = s.checkPasswordAlone(ctx, o, userID, p.Password); err == nil {
		g, err = s.CheckEnrolPasscode(ctx, o, g, p.Passcode)
	}
	if err != nil {
		return nil, err
	}
	e, err := s.NewEnrolment(ctx, g)
	if err != nil {
		return nil, err
	}
	if e.questions, err = s.NeedsAnswers(ctx, g); err != nil {
		return nil, err
	}
	return e, nil
}

// NeedsAnswers says the enrolment waits for the user's security answers
// (SetAnswers) before it can complete; only BeginEnrolment asks.
func (e *Enrolment) NeedsAnswers() bool { return e.questions }

// UserID is the user who enrols.
func (e *Enrolment) UserID() string { return e.grant.UserID }
