package gcsim

// Routes returns the key of every /api/v2 operation the simulator serves, "METHOD /path" with
// the path in swagger.json's template form ("POST /api/v2/users",
// "GET /api/v2/users/{userId}"), in the order of the route table. They are the keys of
// Counters.Requests. The slice is the caller's own.
func Routes() []string {
	rts := apiRoutes()
	keys := make([]string, len(rts))
	for i, rt := range rts {
		keys[i] = rt.key
	}
	return keys
}
