package proxies

import (
	"context"
	"fmt"
)

// maxPages guards against a server that never stops paging.
const maxPages = 10000

// listAll walks every page of a listing. page returns one page's items and the page count.
func listAll[T any](ctx context.Context, op string, page func(n int) ([]T, int, error)) ([]T, error) {
	var all []T
	for n := 1; n <= maxPages; n++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		items, count, err := page(n)
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		if n >= count || len(items) == 0 {
			return all, nil
		}
	}
	return nil, fmt.Errorf("%s: more than %d pages", op, maxPages)
}
