// Package jitter spreads waits at random, so that many retries or checks
// that failed together do not come back together.
package jitter

import (
	"math/rand/v2"
	"time"
)

// Spread returns d moved at random by up to ±20%.
func Spread(d time.Duration) time.Duration {
	j := d / 5
	return d - j + time.Duration(rand.Int64N(int64(2*j)+1))
}
