package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// UserLanguage is what the store knows of a Telegram user's language.
type UserLanguage struct {
	Chosen string // what the user picked with /language ("en", "ru", "zh"); "" for none
	Seen   string // the language_code Telegram last sent with their updates; "" for none
}

const (
	selectUserLanguageQuery = `SELECT language, language_code FROM users WHERE telegram_user_id = ?`
	upsertChosenQuery       = `INSERT INTO users (telegram_user_id, language, updated_at) VALUES (?, ?, ?)
	ON CONFLICT (telegram_user_id) DO UPDATE SET language = excluded.language, updated_at = excluded.updated_at`
	upsertSeenQuery = `INSERT INTO users (telegram_user_id, language_code, updated_at) VALUES (?, ?, ?)
	ON CONFLICT (telegram_user_id) DO UPDATE SET language_code = excluded.language_code, updated_at = excluded.updated_at`
)

// joinedLanguageColumns are the columns of the user's language, joined (as
// "u", LEFT JOIN users u) to a row the bot tells its user about: due
// watches, money actions, balance watches and logouts. A user never seen
// has neither.
const joinedLanguageColumns = `COALESCE(u.language, ''), COALESCE(u.language_code, '')`

func (ul *UserLanguage) dest() []any { return []any{&ul.Chosen, &ul.Seen} }

// maxLanguageCode bounds a stored language_code: an IETF tag is short.
const maxLanguageCode = 35

// UserLanguage returns what is known of the user's language; the zero
// value for a user never seen.
func (s *Store) UserLanguage(ctx context.Context, telegramUserID int64) (UserLanguage, error) {
	var ul UserLanguage
	err := s.read.QueryRowContext(ctx, selectUserLanguageQuery, telegramUserID).Scan(&ul.Chosen, &ul.Seen)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return UserLanguage{}, fmt.Errorf("load language of %d: %w", telegramUserID, err)
	}
	return ul, nil
}

// ChooseLanguage stores the language the user picked; "" forgets the choice.
func (s *Store) ChooseLanguage(ctx context.Context, telegramUserID int64, tag string, now time.Time) error {
	if _, err := s.write.ExecContext(ctx, upsertChosenQuery, telegramUserID, tag, millis(now)); err != nil {
		return fmt.Errorf("save language of %d: %w", telegramUserID, err)
	}
	return nil
}

// SeeLanguageCode stores the language_code Telegram sent for the user, cut
// to a sane length.
func (s *Store) SeeLanguageCode(ctx context.Context, telegramUserID int64, code string, now time.Time) error {
	if len(code) > maxLanguageCode {
		code = code[:maxLanguageCode]
	}
	if _, err := s.write.ExecContext(ctx, upsertSeenQuery, telegramUserID, code, millis(now)); err != nil {
		return fmt.Errorf("save language code of %d: %w", telegramUserID, err)
	}
	return nil
}
