// Package wire is the JSON of the websocket authentication protocol
// (docs/protocol.md): the messages a client sends, the replies the server
// sends, and the result strings both sides compare. The server and the
// enrolment client import it; it holds no logic beyond decoding. The
// client's half of the challenge (the key, the encryption, the requests)
// is in wireclient, which the server never imports.
package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Message types, as the protocol seed names them.
const (
	TypeChallenge    = "challenge"
	TypeLogin        = "login"
	TypeSend2FAToken = "send2fatoken"
	TypeVerifyLogin  = "verifylogin"
	TypeAddUser      = "adduser"
	TypeLogout       = "logout"
	// TypeVerifyLogout releases the hold a back-end's verifylogin took
	// on its user, when the user signs out of the portal (an extension
	// of the seed: docs/protocol.md, "verifylogout").
	TypeVerifyLogout = "verifylogout"
	// Enrolment (docs/protocol.md, "Enrolment").
	TypeEnrol   = "enrol"
	TypeAnswers = "answers"
	TypeConfirm = "confirm"
	// TypeError is the type of a reply to a message that could not be
	// decoded far enough to know its type.
	TypeError = "error"
)

// Results. The seed words success and failures this way; its "success" and
// "failure" samples are swapped, and docs/protocol.md records that "OK" is
// success.
const (
	ResultOK              = "OK"
	ResultInvalidLogin    = "invalid user/password"
	ResultInvalidToken    = "invalid token"
	ResultTokenMissing    = "2fa token missing"
	ResultLocked          = "account locked"
	ResultDisabled        = "account disabled"
	ResultWeakPassword    = "password not accepted"
	ResultPasscodeExpired = "passcode expired"
	ResultCodeUsed        = "code already used"
	ResultQuestions       = "questions required"
	ResultBadAnswers      = "answers not accepted"
	ResultAlreadyLoggedIn = "user already logged in"
	ResultNotLoggedIn     = "not logged in"
	ResultNeed2FA         = "2fa token required"
	ResultNotEnrolled     = "2fa not enrolled"
	ResultChangePassword  = "password change required"
	ResultNotAllowed      = "not allowed"
	ResultMalformed       = "malformed message"
	ResultUnknownType     = "unknown message type"
	ResultMissingField    = "missing field"
	ResultTooBig          = "message too big"
	ResultRateLimited     = "too many requests"
	ResultNoChallenge     = "challenge required"
	ResultInternal        = "internal error"
	// ResultBusy: the server is too busy to check a password now (its
	// hashing memory is full); nothing was counted: try again shortly.
	ResultBusy = "server busy"
	// ResultUnavailable: the server cannot reach its database (an outage,
	// or a fail-over under way): the request was not carried out (or, if
	// the database went away as it committed, may have been); try again
	// shortly, here or at another node. An extension of the seed's
	// protocol (docs/protocol.md).
	ResultUnavailable = "service unavailable"
)

// The values of Request.Enc: the RSA padding of a message's encrypted
// fields (docs/protocol.md, "Passwords on the wire").
const (
	// EncPKCS1v15 is RSA PKCS#1 v1.5, what Java's Cipher.getInstance("RSA")
	// sends: the protocol's default, so a message says it by naming none.
	EncPKCS1v15 = ""
	// EncOAEPSHA256 is RSA-OAEP with SHA-256 (and MGF1-SHA-256), the better
	// padding, for clients that can.
	EncOAEPSHA256 = "oaep-sha256"
)

// The values of Response.SecondFactor: what verified the user besides the
// password (docs/protocol.md, "verifylogin").
const (
	// SecondFactorToken: a passcode of the user's token.
	SecondFactorToken = "token"
	// SecondFactorSMS: a passcode sent by SMS.
	SecondFactorSMS = "sms"
	// SecondFactorTemporary: a temporary passcode (guide, section 5),
	// which rests on the password and a security answer, not on a device
	// the user holds.
	SecondFactorTemporary = "temporary"
)

// MaxMessageBytes is the largest message the server reads: a login with a
// 4096-bit RSA ciphertext in base64 and generous attributes fits easily.
const MaxMessageBytes = 16 << 10

// Request is any client message; which fields matter depends on Type.
// Pass and NewPass are base64 RSA ciphertexts under the challenge key.
type Request struct {
	Type    string `json:"type"`
	UserID  string `json:"userid,omitempty"`
	Pass    string `json:"pass,omitempty"`
	NewPass string `json:"newpass,omitempty"`
	// Enc names the RSA padding of every encrypted field: EncPKCS1v15
	// (empty, the seed's Java sample) or EncOAEPSHA256.
	Enc        string          `json:"enc,omitempty"`
	TwoFAToken string          `json:"2fatoken,omitempty"`
	Roles      string          `json:"roles,omitempty"`
	Firm       string          `json:"firm,omitempty"`
	Attr       json.RawMessage `json:"attr,omitempty"`
	Use2FA     string          `json:"use2fa,omitempty"`
	UpdateProf bool            `json:"updateprof,omitempty"`
	ResetPass  bool            `json:"resetpass,omitempty"`
	// Passcode is the enrolment passcode, encrypted like Pass.
	Passcode string `json:"passcode,omitempty"`
	// Answers are the security answers, each encrypted like Pass.
	Answers []Answer `json:"answers,omitempty"`
	// OneSwipe is the secret of a One Swipe enrolment code, encrypted like
	// Pass; it stands in for Pass and Passcode in an enrol message.
	OneSwipe string `json:"oneswipe,omitempty"`
}

// Answer is the answer to the security question with this ID.
type Answer struct {
	ID     int    `json:"id"`
	Answer string `json:"answer"`
}

// Question is one security question a user may choose.
type Question struct {
	ID   int    `json:"id"`
	Text string `json:"text"`
}

// Response is any server reply. Every reply carries Type and Result.
type Response struct {
	Type   string `json:"type"`
	Result string `json:"result"`
	// Key is the challenge's public key: base64 of an X.509
	// SubjectPublicKeyInfo (what Java's X509EncodedKeySpec reads).
	Key         string          `json:"key,omitempty"`
	UserID      string          `json:"userid,omitempty"`
	Active      string          `json:"active,omitempty"`
	VerifyLevel *int            `json:"verify_level,omitempty"`
	Attr        json.RawMessage `json:"attr,omitempty"`
	Firm        string          `json:"firm,omitempty"`
	Roles       string          `json:"roles,omitempty"`
	// BrokerCommRate is the user's broker commission rate, on the replies
	// to a password change or reset, as the seed's sample shows: the
	// user's attribute "broker_comm_rate", "0" when unset.
	BrokerCommRate string `json:"broker_comm_rate,omitempty"`
	UpdateProf     bool   `json:"updateprof,omitempty"`
	ResetPass      bool   `json:"resetpass,omitempty"`
	// SecondFactor says, on verifylogin's OK, which second factor the
	// user gave: SecondFactorToken, SecondFactorSMS or
	// SecondFactorTemporary; absent when none was (verify_level 0).
	SecondFactor string `json:"second_factor,omitempty"`
	// RetryAfter is, with "user already logged in" for a session that
	// ended without a logout, how many seconds remain until the hold
	// ends (absent while the other session is open).
	RetryAfter int64 `json:"retry_after,omitempty"`
	// TwoFASeed is a new seed in base32, sent once by adduser with use2fa "Y".
	TwoFASeed string `json:"2faseed,omitempty"`
	// MustChangePassword is set on a successful login or verifylogin of a
	// user whose password an administrator set (guide, section 4.3).
	MustChangePassword bool `json:"must_change_password,omitempty"`
	// Questions lists the security questions to choose from, with result
	// "questions required".
	Questions []Question `json:"questions,omitempty"`
	// The new token's parameters, with its seed in TwoFASeed, when an
	// enrolment succeeds; ServerTime (Unix seconds) lets the client warn
	// about a wrong clock.
	Issuer     string `json:"issuer,omitempty"`
	Algorithm  string `json:"algorithm,omitempty"`
	Digits     int    `json:"digits,omitempty"`
	Period     int    `json:"period,omitempty"`
	Serial     string `json:"serial,omitempty"`
	ServerTime int64  `json:"server_time,omitempty"`
	// ActiveFrom (Unix seconds) is set on a confirm's OK when the new
	// token waits for the user's confirmation by mail, having been set up
	// with what the self-help desk gave: it takes over then at the latest
	// (an extension of the seed: docs/protocol.md, "enrol").
	ActiveFrom int64 `json:"active_from,omitempty"`
	// Message explains a failure in words; clients may show it.
	Message string `json:"message,omitempty"`
}

// ErrMalformed and ErrUnknownType are the errors of Decode.
var (
	ErrMalformed   = errors.New(ResultMalformed)
	ErrUnknownType = errors.New(ResultUnknownType)
	ErrTooBig      = errors.New(ResultTooBig)
)

var knownTypes = map[string]bool{
	TypeChallenge: true, TypeLogin: true, TypeSend2FAToken: true,
	TypeVerifyLogin: true, TypeAddUser: true, TypeLogout: true, TypeVerifyLogout: true,
	TypeEnrol: true, TypeAnswers: true, TypeConfirm: true,
}

// Decode parses one client message. It refuses messages over
// MaxMessageBytes, anything but one JSON object, and unknown types; the
// returned Request keeps the type of an unknown message so the reply can
// name it.
func Decode(data []byte) (Request, error) {
	if len(data) > MaxMessageBytes {
		return Request{}, ErrTooBig
	}
	var r Request
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&r); err != nil {
		return Request{}, fmt.Errorf("%w: %v", ErrMalformed, jsonProblem(err))
	}
	if dec.More() {
		return Request{}, fmt.Errorf("%w: more than one JSON value", ErrMalformed)
	}
	if len(r.Attr) > 0 && r.Attr[0] != '{' && string(r.Attr) != "null" {
		return Request{}, fmt.Errorf("%w: attr must be an object", ErrMalformed)
	}
	if !knownTypes[r.Type] {
		return Request{Type: r.Type}, ErrUnknownType
	}
	return r, nil
}

// jsonProblem says what is wrong without echoing the message, which may
// hold a password ciphertext.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("invalid JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("field %q has the wrong type", typ.Field)
	}
	return "not a JSON object"
}
