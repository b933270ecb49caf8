package provision

import (
	"context"
	"errors"
	"io"
	"sync"
)

// pool is the one shape of every pass that fans out: n goroutines run work on the jobs sent
// to them, in the order sent. A send gives up when its context ends, so a reader never
// blocks on workers that have stopped taking jobs.
type pool[T any] struct {
	jobs chan T
	wg   sync.WaitGroup
}

// startPool starts n workers that run work on each job.
func startPool[T any](n int, work func(T)) *pool[T] {
	p := &pool[T]{jobs: make(chan T)}
	for range max(n, 1) {
		p.wg.Go(func() {
			for j := range p.jobs {
				work(j)
			}
		})
	}
	return p
}

// send hands job to a worker; false when ctx ended first, and the job was not taken.
func (p *pool[T]) send(ctx context.Context, job T) bool {
	select {
	case p.jobs <- job:
		return true
	case <-ctx.Done():
		return false
	}
}

// wait takes no more jobs and returns once the workers have finished those they took.
func (p *pool[T]) wait() {
	close(p.jobs)
	p.wg.Wait()
}

// errStopReading ends eachRow early, with no error.
var errStopReading = errors.New("stop reading")

// eachRow is the one read loop of every pass: it reads the file from the top, with the
// run's list separator, and calls f with each record in order: the row, or the record's
// error (an *inputError or a rowErrors; row then holds its line). It stops at the end of the
// file, at a read error it cannot go past (returned), or when f returns an error (returned,
// but for errStopReading).
func (p *pipeline) eachRow(f func(r *CSVReader, row Row, rowErr error) error) error {
	r, err := p.openCSV()
	if err != nil {
		return err
	}
	defer r.Close()
	for {
		row, err := r.Next()
		switch {
		case err == io.EOF:
			return nil
		case err != nil && !isRecordError(err):
			return err
		}
		if err := f(r, row, err); err != nil {
			if errors.Is(err, errStopReading) {
				return nil
			}
			return err
		}
	}
}
