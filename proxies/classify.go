package proxies

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/mypurecloud/platform-client-sdk-go/v162/platformclientv2"

	"github.com/user-provisioning/user-provisioning/provision"
)

// kind maps an HTTP status and Genesys error code to the behaviour it calls for. It is the
// one place where errors are classified; it never looks at message text.
func kind(status int, code string) error {
	switch {
	case status == http.StatusUnauthorized:
		// authentication.required, bad.credentials, credentials.expired: the transport has
		// already refreshed the token once, so this one is final.
		return provision.ErrAuth
	case status == http.StatusForbidden:
		// missing.permissions and friends: this call is refused, other rows may pass.
		return provision.ErrForbidden
	case status == http.StatusNotFound:
		return provision.ErrNotFound
	case status == http.StatusConflict:
		// general.conflict, request.conflict: duplicate or stale version.
		return provision.ErrConflict
	case status == http.StatusBadRequest && code == "general.conflict":
		// The API reports some conflicts (a deleted user's email, a stale user version) as 400.
		return provision.ErrConflict
	case retryClassOf(status) != finalAnswer:
		// What the transport repeats (retryClassOf): too.many.requests, client.timeout and the
		// 5xx but 501. It gave up, or the call could not be repeated: try again later.
		return provision.ErrTransient
	default:
		// Any other 4xx, and 501: the request itself is wrong; repeating it will not help.
		return provision.ErrRejected
	}
}

// check turns an SDK call's outcome into nil or a classified error. op names the call
// ("POST /api/v2/users").
func check(op string, resp *platformclientv2.APIResponse, err error) error {
	if resp == nil {
		if err == nil {
			return nil
		}
		// The transport's own errors (network, context, token, redirect, oversized answer)
		// keep their kind.
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
			errors.Is(err, provision.ErrTransient) || errors.Is(err, provision.ErrAuth) ||
			errors.Is(err, provision.ErrTokenEnded) || errors.Is(err, provision.ErrRejected) {
			return fmt.Errorf("%s: %w", op, err)
		}
		return fmt.Errorf("%s: %w: %v", op, provision.ErrTransient, err)
	}
	if resp.IsSuccess {
		if err != nil {
			// The answer was a success that the SDK could not decode.
			return fmt.Errorf("%s: unreadable response: %w", op, err)
		}
		return nil
	}
	re := &provision.RemoteError{
		Op:            op,
		Status:        resp.StatusCode,
		CorrelationID: resp.CorrelationID,
	}
	if resp.Error != nil {
		re.Code = resp.Error.Code
		re.Message = resp.Error.Message
		if resp.Error.ContextID != "" {
			re.CorrelationID = resp.Error.ContextID
		}
	}
	if wait, stated, _ := retryAfterOf(resp.Header, time.Now()); stated {
		re.RetryAfter = wait
	}
	re.Kind = kind(re.Status, re.Code)
	return re
}

// checkBody is check for a call whose success answer carries the object the caller reads:
// a success without one (an empty body, or null, which the SDK returns as a nil result
// and no error) is an ErrTransient "empty answer" error. The call may have been done (for
// a create, the caller looks before creating again).
func checkBody[T any](op string, res *T, resp *platformclientv2.APIResponse, err error) error {
	if err := check(op, resp, err); err != nil {
		return err
	}
	if res == nil {
		return errEmptyAnswer(op)
	}
	return nil
}

// errEmptyAnswer is the error for a success answer without the body it must carry.
func errEmptyAnswer(op string) error {
	return fmt.Errorf("%s: %w: empty answer", op, provision.ErrTransient)
}
