package proxies

import (
	"fmt"
	"net"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// regionHosts maps the SDK's region names to their API hosts (SDK configuration.go).
var regionHosts = map[string]string{
	"us_east_1":      "api.mypurecloud.com",
	"eu_west_1":      "api.mypurecloud.ie",
	"ap_southeast_2": "api.mypurecloud.com.au",
	"ap_northeast_1": "api.mypurecloud.jp",
	"eu_central_1":   "api.mypurecloud.de",
	"us_west_2":      "api.usw2.pure.cloud",
	"ca_central_1":   "api.cac1.pure.cloud",
	"ap_northeast_2": "api.apne2.pure.cloud",
	"eu_west_2":      "api.euw2.pure.cloud",
	"ap_south_1":     "api.aps1.pure.cloud",
	"us_east_2":      "api.use2.us-gov-pure.cloud",
	"sa_east_1":      "api.sae1.pure.cloud",
	"me_central_1":   "api.mec1.pure.cloud",
	"ap_northeast_3": "api.apne3.pure.cloud",
	"eu_central_2":   "api.euc2.pure.cloud",
	"mx_central_1":   "api.mxc1.pure.cloud",
	"ap_southeast_1": "api.apse1.pure.cloud",
}

// BaseURL returns the API base URL (scheme and host, no trailing slash). apiURL, when set,
// wins over region; region may be an SDK name (us_east_1), a dashed name (us-east-1) or a
// host (mypurecloud.com, api.usw2.pure.cloud). An empty region means us_east_1.
// Plain http is refused unless the host is a loopback address; so is an apiURL with
// credentials (any "@"), a query or a fragment. Errors never show a user name, a password,
// a query or a fragment.
func BaseURL(region, apiURL string) (string, error) {
	if apiURL != "" {
		return checkAPIURL(apiURL)
	}
	r := strings.ToLower(strings.TrimSpace(region))
	if r == "" {
		r = "us_east_1"
	}
	if host, ok := regionHosts[strings.ReplaceAll(r, "-", "_")]; ok {
		return "https://" + host, nil
	}
	host := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(r, "https://"), "api."), "/")
	for _, h := range regionHosts {
		if strings.TrimPrefix(h, "api.") == host {
			return "https://" + h, nil
		}
	}
	names := make([]string, 0, len(regionHosts))
	for n := range regionHosts {
		names = append(names, n)
	}
	sort.Strings(names)
	return "", fmt.Errorf("unknown region %s: use one of %s, a host such as mypurecloud.com, or GENESYS_API_URL", redactURL(region), strings.Join(names, ", "))
}

// checkAPIURL validates GENESYS_API_URL (checkURL).
func checkAPIURL(raw string) (string, error) {
	return checkURL("GENESYS_API_URL", "https://api.mypurecloud.com", raw)
}

// checkURL validates the URL raw that variable name sets (example shows what one looks
// like): https, or http to a loopback host; no credentials, query or fragment. It returns
// the URL without a trailing slash. Its errors show the URL only through redactURL, so a
// user:password@ refused here never reaches a log.
func checkURL(name, example, raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("%s %s is not a URL such as %s", name, redactURL(raw), example)
	}
	if u.User != nil || strings.Contains(raw, "@") {
		// Any "@" is refused: in "https://u:1/p@host" the parser reads a password as a port
		// and a path, and the URL would reach requests and logs.
		return "", fmt.Errorf("%s %s must not carry credentials (user:password@)", name, redactURL(raw))
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return "", fmt.Errorf("%s %s: plain http is allowed only for loopback hosts; use https", name, redactURL(raw))
		}
	default:
		return "", fmt.Errorf("%s %s: scheme must be https", name, redactURL(raw))
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%s %s must not carry a query or a fragment", name, redactURL(raw))
	}
	return u.Scheme + "://" + u.Host + strings.TrimSuffix(u.Path, "/"), nil
}

// redactURL renders raw for an error message, quoted: userinfo (user name and password)
// becomes "REDACTED", and a query or fragment, which may carry a token, becomes "REDACTED"
// too. Text that does not parse as a URL with a host is shown only when it has no "@".
func redactURL(raw string) string {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	parsed := err == nil && u.Host != "" && u.Opaque == ""
	// With no userinfo parsed, an "@" may still be in a password that the parser read as a
	// port, a path or a fragment ("https://u:123#p@host"): then show nothing.
	if strings.Contains(raw, "@") && (!parsed || u.User == nil) {
		return `(not shown: it contains "@" and may carry credentials)`
	}
	if !parsed {
		return strconv.Quote(raw)
	}
	r := *u
	if r.User != nil {
		r.User = url.User("REDACTED")
	}
	if r.RawQuery != "" || r.ForceQuery {
		r.RawQuery, r.ForceQuery = "REDACTED", false
	}
	if r.Fragment != "" {
		r.Fragment, r.RawFragment = "REDACTED", ""
	}
	return strconv.Quote(r.String())
}

// isLoopback reports a host that names this machine (localhost, or a loopback address), the
// only one plain http may reach.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// loginURL derives the OAuth token URL the way the SDK does: the API host with "//api."
// replaced by "//login."; a base without "//api." (a gateway or the simulator) serves the
// token endpoint itself.
func loginURL(base string) string {
	if i := strings.Index(strings.ToLower(base), "//api."); i >= 0 {
		return base[:i] + "//login." + base[i+len("//api."):] + "/oauth/token"
	}
	return base + "/oauth/token"
}
