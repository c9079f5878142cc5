package money

import (
	"context"

	"github.com/smsbot/smsbot/bot/internal/view"
	"github.com/smsbot/smsbot/store"
)

// cutBatchNotices are the messages of the batches (several numbers in one
// confirmation) a restart stopped: what each bought so far, and that
// nothing more is bought for it. RecoverActions writes them in the
// transaction that cuts the batches, so each is told once.
func (s *Service) cutBatchNotices(ctx context.Context) ([]store.Message, error) {
	batches, err := s.store.RunningBatches(ctx)
	if err != nil {
		return nil, err
	}
	var notices []store.Message
	for _, all := range batches {
		head := all[0]
		ul, err := s.store.UserLanguage(ctx, head.TelegramUserID)
		if err != nil {
			return nil, err
		}
		l := s.lang(ul)
		items, status, why := view.Batch(head, all, func(orderID string) string {
			w, _ := s.store.Watch(ctx, head.TelegramUserID, orderID)
			return w.PhoneNumber
		})
		s.log.Info("telling a batch a restart cut", "user", head.TelegramUserID, "action", head.ID, "numbers", len(items))
		notices = append(notices, *actionNotice(head, l.Batch(l.Offer(head.ServiceName, head.CountryName, head.Carrier),
			head.Quantity, items, status, 0, why)))
	}
	return notices, nil
}
