package proxies

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/mypurecloud/platform-client-sdk-go/v162/platformclientv2"
)

// getJSON calls GET path with query through the SDK's API client and decodes the answer
// into out; an empty or null answer is an ErrTransient "empty answer" error. It serves the calls whose SDK method sends a wrong or unwanted parameter (the
// SDK always sends boolean filters, and some filters under names the API does not know).
func (c *Client) getJSON(ctx context.Context, op, path string, query map[string]string, out any) error {
	cfg := c.cfg(ctx)
	headers := map[string]string{"Accept": "application/json"}
	resp, err := cfg.APIClient.CallAPI(cfg.BasePath+path, "GET", nil, headers, query, url.Values{}, "", nil, "other")
	return decodeAnswer(op, resp, err, out)
}

// getJSONValues is getJSON for a query that repeats a parameter (id=a&id=b: the spec's
// collectionFormat multi), which the SDK would join with commas instead.
func (c *Client) getJSONValues(ctx context.Context, op, path string, query url.Values, out any) error {
	cfg := c.cfg(ctx)
	headers := map[string]string{"Accept": "application/json"}
	// With no query parameters of its own, CallAPI takes the URL as it is.
	resp, err := cfg.APIClient.CallAPI(cfg.BasePath+path+"?"+query.Encode(), "GET", nil, headers, nil, url.Values{}, "", nil, "other")
	return decodeAnswer(op, resp, err, out)
}

// decodeAnswer checks a GET's outcome (check) and decodes its answer into out; an empty or
// null answer is an ErrTransient "empty answer" error.
func decodeAnswer(op string, resp *platformclientv2.APIResponse, err error, out any) error {
	if err := check(op, resp, err); err != nil {
		return err
	}
	if b := bytes.TrimSpace(resp.RawBody); len(b) == 0 || bytes.Equal(b, []byte("null")) {
		return errEmptyAnswer(op)
	}
	if err := json.Unmarshal(resp.RawBody, out); err != nil {
		return fmt.Errorf("%s: unreadable response: %w", op, err)
	}
	return nil
}

// getLink calls GET on a link a listing gave (nextUri: a path with its query, relative to the
// API base) and decodes the answer into out.
func (c *Client) getLink(ctx context.Context, op, link string, out any) error {
	u, err := url.Parse(link)
	if err != nil || u.Path == "" || u.IsAbs() {
		return fmt.Errorf("%s: unusable next page link %q", op, link)
	}
	query := map[string]string{}
	for k, v := range u.Query() {
		query[k] = strings.Join(v, ",")
	}
	return c.getJSON(ctx, op, u.Path, query, out)
}
