package gcsim

import (
	"math"
	"net/http"
	"strconv"
	"time"
)

// Fault is a scripted answer to one request; see Sim.Script.
type Fault struct {
	// Status answers the request with this status and an ErrorBody, doing nothing else
	// (e.g. 429, 500, 503, 401). Ignored when Drop is set.
	Status int
	// Code is the error code; empty means the usual one for Status.
	Code string
	// RetryAfter, when positive, sets the Retry-After header (whole seconds, rounded up).
	RetryAfter time.Duration
	// Drop serves the request normally, committing its effect, then closes the connection
	// without an answer.
	Drop bool
	// Message, when set, is the ErrorBody's message in place of the usual one: a server
	// that echoes what it should not, for instance.
	Message string
}

// Script queues faults for the next requests to one route, in order; once they are used
// up the route behaves normally again. route is a Counters.Requests key, such as
// "POST /api/v2/users", "POST /oauth/token" or "POST /auth/v3/oauth/token" (where Drop is
// not supported). A scripted fault applies once the request is authenticated and takes the
// place of the rate limit and of the random faults for that request (a status fault, of the
// permission check too); it
// counts in Counters like its random counterpart (429 in TooMany, 503 in Fail503, 401 in
// Unauthorized, drops in Dropped). Script adds to faults already queued for the route.
//
//	sim.Script("POST /api/v2/users", gcsim.Fault{Status: 429, RetryAfter: time.Second})
func (s *Sim) Script(route string, faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scripts[route] = append(s.scripts[route], faults...)
}

// nextScripted pops the next scripted fault for a route.
func (s *Sim) nextScripted(route string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.scripts[route]
	if len(q) == 0 {
		return Fault{}, false
	}
	f := q[0]
	if len(q) == 1 {
		delete(s.scripts, route)
	} else {
		s.scripts[route] = q[1:]
	}
	return f, true
}

var defaultCodes = map[int]string{
	http.StatusBadRequest:          "bad.request",
	http.StatusUnauthorized:        "bad.credentials",
	http.StatusForbidden:           "missing.permissions",
	http.StatusNotFound:            "not.found",
	http.StatusRequestTimeout:      "client.timeout",
	http.StatusConflict:            "request.conflict",
	http.StatusTooManyRequests:     "too.many.requests.retry.after",
	http.StatusInternalServerError: "internal.server.error",
	http.StatusServiceUnavailable:  "service.unavailable",
	http.StatusGatewayTimeout:      "request.timeout",
}

// answerScripted answers a status fault.
func (s *Sim) answerScripted(c *call, f Fault) {
	code := f.Code
	if code == "" {
		code = defaultCodes[f.Status]
	}
	if code == "" {
		code = "internal.server.error"
	}
	s.mu.Lock()
	switch f.Status {
	case http.StatusTooManyRequests:
		s.countTooMany(c)
	case http.StatusServiceUnavailable:
		s.counts.Fail503++
	case http.StatusUnauthorized:
		s.counts.Unauthorized++
	}
	s.mu.Unlock()
	msg := "Scripted fault"
	if f.RetryAfter > 0 {
		secs := max(1, int(math.Ceil(f.RetryAfter.Seconds())))
		c.w.Header().Set("Retry-After", strconv.Itoa(secs))
		if f.Status == http.StatusTooManyRequests {
			msg = "Rate limit exceeded the maximum. Retry the request in [" + strconv.Itoa(secs) + "] seconds"
		}
	}
	if f.Message != "" {
		msg = f.Message
	}
	c.fail(f.Status, code, "%s", msg)
}
