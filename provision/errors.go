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
	// ErrTokenEnded: the access token ended, or was refused, and the grant cannot renew it
	// (a SAML2 assertion serves once). A row that meets it fails; the run stops gracefully.
	ErrTokenEnded = errors.New("the access token ended and cannot be renewed")
	// ErrForbidden: the client lacks a permission for this call. It fails the row only.
	ErrForbidden = errors.New("permission denied")
	// ErrNotFound: the object does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the object already exists, or a version check failed.
	ErrConflict = errors.New("conflict")
	// ErrRejected: the request was refused as invalid; repeating it will not help.
	ErrRejected = errors.New("rejected")
	// ErrPagingCap is a listing that pages past the API's cap on results (10,000).
	ErrPagingCap = errors.New("past the listing's paging cap")
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

// correlationOf returns the correlation id of the first RemoteError in err's chain, or "".
func correlationOf(err error) string {
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

// BatchError is the outcome of a call made for several users (a batch) that succeeded for
// some and failed for others: Failed holds the error of each user id that failed; the others
// succeeded.
type BatchError struct {
	Err    error            // the call's own error, for the message
	Failed map[string]error // user id → its error
}

func (e *BatchError) Error() string {
	return fmt.Sprintf("%d of the batch failed: %v", len(e.Failed), e.Err)
}

func (e *BatchError) Unwrap() error { return e.Err }

// For returns the outcome of one user id of the batch.
func (e *BatchError) For(id string) error { return e.Failed[id] }
