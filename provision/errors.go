package provision

import (
	"errors"
	"fmt"
	"time"
)

// Sentinels for the behaviour an error calls for. Match them with errors.Is; a *RemoteError
// reports its kind through Is.
var (
	// ErrTransient: the call may succeed if repeated later (429, 5xx, timeouts, dropped
	// connections). For a non-idempotent call the outcome is unknown: look before retrying.
	ErrTransient = errors.New("transient failure")
	// ErrAuth: the credentials were rejected. It stops the run.
	ErrAuth = errors.New("credentials rejected")
	// ErrForbidden: the client lacks a permission for this call. It fails the row only.
	ErrForbidden = errors.New("permission denied")
	// ErrNotFound: the object does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the object already exists, or a version check failed.
	ErrConflict = errors.New("conflict")
	// ErrRejected: the request was refused as invalid; repeating it will not help.
	ErrRejected = errors.New("rejected")
)

// RemoteError is an error answer from Genesys Cloud.
type RemoteError struct {
	Op            string // what was attempted, e.g. "POST /api/v2/users"
	Status        int    // HTTP status
	Code          string // Genesys error code, e.g. "general.conflict"
	Message       string // Genesys error message
	CorrelationID string // the contextId of the call, for support cases
	RetryAfter    time.Duration
	Kind          error // one of the sentinels above
}

func (e *RemoteError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = fmt.Sprintf("HTTP %d", e.Status)
	}
	if e.Code != "" {
		return fmt.Sprintf("%s: %s (%d %s)", e.Op, msg, e.Status, e.Code)
	}
	return fmt.Sprintf("%s: %s (%d)", e.Op, msg, e.Status)
}

// Is reports whether target is the error's kind.
func (e *RemoteError) Is(target error) bool { return target == e.Kind }

// CorrelationID returns the correlation id of the first RemoteError in err's chain, or "".
func CorrelationID(err error) string {
	var re *RemoteError
	if errors.As(err, &re) {
		return re.CorrelationID
	}
	return ""
}

// ErrorCode returns the Genesys error code of the first RemoteError in err's chain, or "".
func ErrorCode(err error) string {
	var re *RemoteError
	if errors.As(err, &re) {
		return re.Code
	}
	return ""
}
