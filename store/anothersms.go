package store

import (
	"context"
	"fmt"
	"time"
)

// "Another SMS" is asked once per SMS: the order's current SMS is recorded
// (as a keyed fingerprint, like delivered_sms) when the request is sent, and
// a second tap before a new SMS arrives finds it and sends nothing.

const (
	askAnotherSMSQuery = `INSERT INTO sms_requests (hash, created_at) VALUES (?, ?)
	ON CONFLICT (hash) DO NOTHING`
	forgetAnotherSMSQuery = `DELETE FROM sms_requests WHERE hash = ?`
	pruneSMSRequestsQuery = `DELETE FROM sms_requests WHERE created_at < ?`
)

// anotherSMSSalt keeps these fingerprints apart from delivered_sms's.
const anotherSMSSalt = "another-sms\x00"

// AskAnotherSMS records that another SMS is being asked for the order while
// it shows sms, and reports whether this is the first ask for that SMS:
// only then may the request be sent.
func (s *Store) AskAnotherSMS(ctx context.Context, telegramUserID int64, orderID, sms string, now time.Time) (first bool, err error) {
	fp := s.sealer.smsFingerprint(telegramUserID, orderID, anotherSMSSalt+sms)
	res, err := s.write.ExecContext(ctx, askAnotherSMSQuery, fp, millis(now))
	if err == nil {
		var n int
		n, err = rowsAffected(res)
		first = n > 0
	}
	if err != nil {
		return false, fmt.Errorf("record another sms for %d/%s: %w", telegramUserID, orderID, err)
	}
	return first, nil
}

// ForgetAnotherSMS undoes AskAnotherSMS after SMSOnline refused the
// request: nothing was asked, so the user may ask again.
func (s *Store) ForgetAnotherSMS(ctx context.Context, telegramUserID int64, orderID, sms string) error {
	fp := s.sealer.smsFingerprint(telegramUserID, orderID, anotherSMSSalt+sms)
	if _, err := s.write.ExecContext(ctx, forgetAnotherSMSQuery, fp); err != nil {
		return fmt.Errorf("forget another sms for %d/%s: %w", telegramUserID, orderID, err)
	}
	return nil
}
