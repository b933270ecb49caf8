package proxies

import (
	"fmt"
	"net"
	"net/url"
	"sort"
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
// Plain http is refused unless the host is a loopback address.
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
	return "", fmt.Errorf("unknown region %q: use one of %s, a host such as mypurecloud.com, or GENESYS_API_URL", region, strings.Join(names, ", "))
}

func checkAPIURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("GENESYS_API_URL %q is not a URL such as https://api.mypurecloud.com", raw)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return "", fmt.Errorf("GENESYS_API_URL %q: plain http is allowed only for loopback hosts; use https", raw)
		}
	default:
		return "", fmt.Errorf("GENESYS_API_URL %q: scheme must be https", raw)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("GENESYS_API_URL %q must not carry credentials, a query or a fragment", raw)
	}
	return u.Scheme + "://" + u.Host + strings.TrimSuffix(u.Path, "/"), nil
}

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
