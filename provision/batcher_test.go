package provision

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

// A batch's outcome reaches each of its users: a *BatchError user by user; a refusal or a
// 404 of the whole batch by sending each user on its own, so one bad user fails only itself.
func TestBatcherOutcomes(t *testing.T) {
	bad := errors.New("bad")
	tests := []struct {
		name  string
		send  func(ids []string) error
		want  map[string]error
		calls int
	}{
		{"all ok", func([]string) error { return nil }, map[string]error{"a": nil, "b": nil, "c": nil}, 1},
		{"partly moved", func(ids []string) error {
			return &BatchError{Err: bad, Failed: map[string]error{"b": bad}}
		}, map[string]error{"a": nil, "b": bad, "c": nil}, 1},
		{"one rejected", func(ids []string) error {
			if slices.Contains(ids, "b") {
				return &RemoteError{Status: 400, Kind: ErrRejected}
			}
			return nil
		}, map[string]error{"a": nil, "b": ErrRejected, "c": nil}, 4},
		{"one not found", func(ids []string) error {
			if slices.Contains(ids, "c") {
				return &RemoteError{Status: 404, Kind: ErrNotFound}
			}
			return nil
		}, map[string]error{"a": nil, "b": nil, "c": ErrNotFound}, 4},
		{"transient for all", func([]string) error { return ErrTransient }, map[string]error{"a": ErrTransient, "b": ErrTransient, "c": ErrTransient}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			calls := 0
			got := map[string]error{}
			b := newBatcher(context.Background(), 3, time.Hour, func(_ context.Context, _ string, ids []string) error {
				mu.Lock()
				calls++
				mu.Unlock()
				return tt.send(ids)
			})
			for _, id := range []string{"a", "b", "c"} { // the third fills the batch
				b.add("k", id, func(err error) {
					mu.Lock()
					got[id] = err
					mu.Unlock()
				})
			}
			b.wait()
			for id, want := range tt.want {
				if err := got[id]; (want == nil) != (err == nil) || (want != nil && !errors.Is(err, want)) {
					t.Errorf("%s: %v, want %v", id, err, want)
				}
			}
			if calls != tt.calls {
				t.Errorf("%d calls, want %d", calls, tt.calls)
			}
		})
	}
}

func TestMergeContactsKeepsEntriesAsRead(t *testing.T) {
	have := []Contact{
		{MediaType: "PHONE", Type: "WORK", Address: "+13175550199", CountryCode: "US"},
		{MediaType: "PHONE", Type: "HOME", Address: "+13175550111", CountryCode: "US", Integration: "x"},
	}
	if got := mergeContacts(have, []Contact{{MediaType: "PHONE", Type: "WORK", Address: "+1 (317) 555-0199"}}); got != nil {
		t.Errorf("same number written differently: %+v, want no change", got)
	}
	got := mergeContacts(have, []Contact{{MediaType: "PHONE", Type: "MOBILE", Address: "+13175550177"}})
	want := append(slices.Clone(have), Contact{MediaType: "PHONE", Type: "MOBILE", Address: "+13175550177"})
	if !slices.Equal(got, want) {
		t.Errorf("a new entry: %+v, want %+v", got, want)
	}
	got = mergeContacts(have, []Contact{{MediaType: "PHONE", Type: "WORK", Address: "+13175550100"}})
	want = []Contact{{MediaType: "PHONE", Type: "WORK", Address: "+13175550100"}, have[1]}
	if !slices.Equal(got, want) {
		t.Errorf("a changed entry: %+v, want %+v", got, want)
	}
}
