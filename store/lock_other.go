//go:build !(darwin || dragonfly || freebsd || illumos || linux || netbsd || openbsd)

package store

// lock does nothing where flock is not available: there, keeping the bot
// stopped while `smsbot rotate-key` runs is up to the operator.
func (l *instanceLock) lock(exclusive bool) error { return nil }
