package bot

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/smsbot/smsbot/bot/internal/account"
	"github.com/smsbot/smsbot/bot/internal/view"
	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

// historyAPI is what the history desk asks SMSOnline.
type historyAPI interface {
	Inventory(ctx context.Context, cred smsapi.Credentials, expiredLimit int) ([]smsapi.Order, error)
}

// historyDesk answers /history: the account's numbers from its inventory,
// a page at a time under this month's totals, and the CSV of them all.
// Each page and each export reads the inventory again, so what it shows is
// current; the numbers are SMSOnline's, nothing is stored here.
type historyDesk struct {
	api historyAPI
	log *slog.Logger
	now func() time.Time
	// sendDocument sends a file to a chat (the Bot's paced sendDocument).
	sendDocument func(ctx context.Context, chatID int64, filename string, data []byte, caption string) error
}

// cmdHistory shows the history's first page. The command table keeps it to
// private chats and loads the account.
func (d *historyDesk) cmdHistory(ctx context.Context, r request) (reply, error) {
	rows, err := d.read(ctx, r.acct)
	if err != nil {
		return textReply(apiErrorText(d.log, r.lang, err, "")), nil
	}
	text, kb := r.lang.History(r.user, d.page(rows, 0))
	return reply{text, kb}, nil
}

// pressPage shows the page the button names, read afresh.
func (d *historyDesk) pressPage(ctx context.Context, p press) (answer, error) {
	page, ok := message.ParseHistoryPage(p.c.OrderID)
	switch {
	case !ok:
		return answer{toast: p.lang.T(message.ButtonExpired)}, nil
	case !p.private:
		return answer{toast: p.lang.T(message.ToastHistoryPrivate)}, nil
	}
	rows, err := d.read(ctx, p.acct)
	if err != nil {
		return answer{text: apiErrorText(d.log, p.lang, err, ""), toast: p.lang.T(message.ToastNotDone)}, nil
	}
	text, kb := p.lang.History(p.owner(), d.page(rows, page))
	return answer{text: text, kb: kb}, nil
}

// pressExport sends every number read as a CSV file to the owner's private
// chat; the message pressed stays as it is.
func (d *historyDesk) pressExport(ctx context.Context, p press) (answer, error) {
	if _, ok := message.ParseHistoryPage(p.c.OrderID); !ok {
		return answer{toast: p.lang.T(message.ButtonExpired)}, nil
	}
	if !p.private {
		return answer{toast: p.lang.T(message.ToastHistoryPrivate)}, nil
	}
	rows, err := d.read(ctx, p.acct)
	if err != nil {
		d.log.Warn("can't export history", "user", p.owner(), "err", err)
		return answer{toast: p.lang.T(message.ToastNotDone)}, nil
	}
	data, err := message.HistoryCSV(rows)
	if err != nil {
		return answer{}, fmt.Errorf("write history csv: %w", err)
	}
	name := "smsonline-history-" + d.now().UTC().Format("2006-01-02") + ".csv"
	if err := d.sendDocument(ctx, privateChat(p.owner()), name, data, p.lang.HistoryCSVCaption()); err != nil {
		d.log.Warn("can't send history csv", "user", p.owner(), "err", err)
		return answer{toast: p.lang.T(message.ToastNotDone)}, nil
	}
	d.log.Info("history exported", "user", p.owner(), "rows", len(rows))
	return answer{toast: p.lang.T(message.ToastExported)}, nil
}

// read is the account's numbers, newest first, as the history lists them.
func (d *historyDesk) read(ctx context.Context, acct store.Account) ([]message.HistoryRow, error) {
	orders, err := d.api.Inventory(ctx, account.Credentials(acct), smsapi.HistoryLimit)
	if err != nil {
		return nil, fmt.Errorf("read inventory for history: %w", err)
	}
	return view.History(orders, d.now()), nil
}

// page is page of rows as the history shows it.
func (d *historyDesk) page(rows []message.HistoryRow, page int) message.History {
	return message.History{Rows: rows, Page: page, Now: d.now(), Limit: smsapi.HistoryLimit}
}
