package provision

import (
	"errors"
	"fmt"
	"runtime/debug"

	"go.uber.org/zap"
)

// ErrPartway marks an error that stopped a run after its report was opened: the report is
// there and says which rows finished. Run wraps every such error with it.
var ErrPartway = errors.New("the run failed part-way")

// errInternal is the kind of an error made from a panic: a bug, not an answer of the API.
var errInternal = errors.New("internal error")

// panicError is a panic recovered by guard. Its message carries the panic value only; the
// stack goes to the log.
type panicError struct{ value any }

func (e *panicError) Error() string { return fmt.Sprintf("internal error: %v", e.value) }

// Is reports errInternal.
func (e *panicError) Is(target error) bool { return target == errInternal }

// guard runs f and returns its error, or, if f panics, the panic as an errInternal error,
// after logging it with its stack at error level. It is the last resort of each of the
// run's goroutines: a bug fails what it was doing (a row, a batch) instead of the process.
func guard(log *zap.Logger, f func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &panicError{value: v}
			if log != nil {
				log.Error("internal error", zap.String("panic", fmt.Sprint(v)), zap.ByteString("stack", debug.Stack()))
			}
		}
	}()
	return f()
}

// partway wraps err, if any, as ErrPartway.
func partway(err error) error {
	if err == nil || errors.Is(err, ErrPartway) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrPartway, err)
}
