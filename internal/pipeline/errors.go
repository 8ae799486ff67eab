package pipeline

import (
	"errors"
	"time"

	"github.com/docbridge/docbridge"
)

func retryAfter(err error) time.Duration {
	var e *docbridge.Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}
