package provision

import (
	"context"
	"errors"
	"sync"
	"time"

	"go.uber.org/zap"
)

// batcher gathers user ids for one bulk call per key (a group, a role in a division) across
// rows. A batch is sent when it is full, when it has waited linger, or on flushAll. Each
// item's done is called once with the outcome of the call that carried it. It is safe for
// concurrent use.
type batcher struct {
	max    int
	linger time.Duration
	send   func(ctx context.Context, key string, ids []string) error
	ctx    context.Context
	log    *zap.Logger // where a panicking send is logged; nil: nowhere

	mu      sync.Mutex
	pending map[string]*batch
	running sync.WaitGroup
}

type batch struct {
	ids   []string
	done  []func(error)
	timer *time.Timer
}

func newBatcher(ctx context.Context, max int, linger time.Duration, send func(ctx context.Context, key string, ids []string) error) *batcher {
	return &batcher{max: max, linger: linger, send: send, ctx: ctx, pending: map[string]*batch{}}
}

// add queues id under key.
func (b *batcher) add(key, id string, done func(error)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	bt := b.pending[key]
	if bt == nil {
		bt = &batch{}
		b.pending[key] = bt
		bt.timer = time.AfterFunc(b.linger, func() { b.flush(key, bt) })
	}
	bt.ids = append(bt.ids, id)
	bt.done = append(bt.done, done)
	if len(bt.ids) >= b.max {
		b.startLocked(key, bt)
	}
}

// flush sends bt if it is still pending under key.
func (b *batcher) flush(key string, bt *batch) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.pending[key] == bt {
		b.startLocked(key, bt)
	}
}

// flushAll sends every pending batch now.
func (b *batcher) flushAll() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for key, bt := range b.pending {
		b.startLocked(key, bt)
	}
}

// wait returns when every batch sent so far has finished.
func (b *batcher) wait() { b.running.Wait() }

func (b *batcher) startLocked(key string, bt *batch) {
	delete(b.pending, key)
	bt.timer.Stop()
	b.running.Add(1)
	go func() {
		defer b.running.Done()
		b.run(key, bt.ids, bt.done)
	}()
}

// call sends ids under key; a panic in send is the call's error (errInternal), so that it
// fails the batch's rows only.
func (b *batcher) call(key string, ids []string) error {
	return guard(b.log, func() error { return b.send(b.ctx, key, ids) })
}

// run sends one batch. A *BatchError gives each id its own outcome. When the API refuses a
// batch of several ids as invalid, or answers that something in it was not found, each id is
// sent on its own, so that one bad member fails only its own row.
func (b *batcher) run(key string, ids []string, done []func(error)) {
	err := b.call(key, ids)
	var partial *BatchError
	switch {
	case errors.As(err, &partial):
		for i, id := range ids {
			done[i](partial.For(id))
		}
	case len(ids) > 1 && (errors.Is(err, ErrRejected) || errors.Is(err, ErrNotFound)):
		for i := range ids {
			done[i](b.call(key, ids[i:i+1]))
		}
	default:
		for _, d := range done {
			d(err)
		}
	}
}
