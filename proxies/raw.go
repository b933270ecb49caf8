package proxies

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
)

// getJSON calls GET path with query through the SDK's API client and decodes the answer
// into out. It serves the calls whose SDK method sends a wrong or unwanted parameter (the
// SDK always sends boolean filters, and some filters under names the API does not know).
func (c *Client) getJSON(ctx context.Context, op, path string, query map[string]string, out any) error {
	cfg := c.cfg(ctx)
	headers := map[string]string{"Accept": "application/json"}
	resp, err := cfg.APIClient.CallAPI(cfg.BasePath+path, "GET", nil, headers, query, url.Values{}, "", nil, "other")
	if err := check(op, resp, err); err != nil {
		return err
	}
	if err := json.Unmarshal(resp.RawBody, out); err != nil {
		return fmt.Errorf("%s: unreadable response: %w", op, err)
	}
	return nil
}
