package adminapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/softtoken/softtoken/server/account"
)

// The API's own codes, beside the rules' (account.Code): a script
// switches on the code, never on the message.
const (
	codeBadRequest   = "bad_request"
	codeUnauthorized = "unauthorized"
	codeRateLimited  = "rate_limited"
	codeNotFound     = "not_found"
	codeMethod       = "method_not_allowed"
	codeInternal     = "internal"
)

// statusOf is the HTTP status of each code; a code of the rules not
// named here is a refusal of the request's input (400).
var statusOf = map[string]int{
	codeBadRequest:                  http.StatusBadRequest,
	codeUnauthorized:                http.StatusUnauthorized,
	string(account.CodeBadKey):      http.StatusUnauthorized,
	string(account.CodeSignedOut):   http.StatusUnauthorized,
	string(account.CodeNotAllowed):  http.StatusForbidden,
	codeNotFound:                    http.StatusNotFound,
	string(account.CodeNoSuchUser):  http.StatusNotFound,
	codeMethod:                      http.StatusMethodNotAllowed,
	string(account.CodeTooSoon):     http.StatusConflict,
	string(account.CodeEnrolled):    http.StatusConflict,
	string(account.CodeNoSession):   http.StatusConflict,
	string(account.CodeUserExists):  http.StatusConflict,
	string(account.CodeHeld):        http.StatusConflict,
	codeRateLimited:                 http.StatusTooManyRequests,
	string(account.CodeSMSTooMany):  http.StatusTooManyRequests,
	string(account.CodeThrottled):   http.StatusTooManyRequests,
	string(account.CodeBusy):        http.StatusServiceUnavailable,
	string(account.CodeUnavailable): http.StatusServiceUnavailable,
	string(account.CodeSMSNotSent):  http.StatusBadGateway,
	codeInternal:                    http.StatusInternalServerError,
	string(account.CodeFailed):      http.StatusInternalServerError,
}

// retryAfterUnavailable is the Retry-After of a 503, in seconds.
const retryAfterUnavailable = "5"

// status is the HTTP status of code.
func status(code string) int {
	if s, ok := statusOf[code]; ok {
		return s
	}
	return http.StatusBadRequest
}

// apiError is a refusal the API itself decides, with its code.
type apiError struct {
	code, message string
}

func (e *apiError) Error() string { return e.message }

var (
	errNoKey    = &apiError{codeUnauthorized, "an API key is needed: send Authorization: Bearer KEY"}
	errNotFound = &apiError{codeNotFound, "no such endpoint (see /api/v1/openapi.json)"}
	errMethod   = &apiError{codeMethod, "method not allowed (see the Allow header)"}
)

// badRequest is a refusal of the request's input.
func badRequest(format string, args ...any) error {
	return &apiError{codeBadRequest, fmt.Sprintf(format, args...)}
}

// limitedError refuses a request over its rate: try again after wait.
type limitedError struct{ wait time.Duration }

func (e *limitedError) Error() string { return "too many requests: try again later" }

// errorBody is the JSON of every error.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// codeOf is err's code and the message a client may read: an error
// neither the API nor the rules decided is internal, and its words stay
// in the log.
func codeOf(err error) (code, message string) {
	if e, ok := errors.AsType[*apiError](err); ok {
		return e.code, e.message
	}
	if e, ok := errors.AsType[*limitedError](err); ok {
		return codeRateLimited, e.Error()
	}
	if c, ok := account.CodeOf(err); ok {
		return string(c), err.Error()
	}
	return codeInternal, "internal error"
}

// fail answers err: its status and code, with the headers the status
// calls for.
func (a *api) fail(w http.ResponseWriter, r *http.Request, err error) {
	code, msg := codeOf(err)
	st := status(code)
	switch st {
	case http.StatusInternalServerError:
		a.cfg.Logger.Error("admin API", "method", r.Method, "path", r.URL.Path, "err", err)
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="softtoken admin API"`)
	case http.StatusTooManyRequests:
		wait := time.Minute
		if e, ok := errors.AsType[*limitedError](err); ok {
			wait = e.wait
		}
		w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
	case http.StatusServiceUnavailable:
		// Busy, or the database cannot be reached: try again shortly.
		w.Header().Set("Retry-After", retryAfterUnavailable)
	}
	var body errorBody
	body.Error.Code, body.Error.Message = code, msg
	writeJSON(w, st, body)
}

// writeJSON answers body as JSON with status.
func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// allowed is the Allow header of methods.
func allowed(methods map[string]handler) string {
	var out []string
	for m := range methods {
		out = append(out, m)
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}
