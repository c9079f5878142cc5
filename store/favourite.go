package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Favourites: the offers (service · country · carrier) a user buys often,
// one tap away. They belong to a Telegram user and one SMSOnline account:
// /logout keeps them, a /login to the same account shows them again, and
// another account does not see them. Beside them, the ceiling each user
// last confirmed a purchase of an offer with: a favourite's confirmation
// offers it rather than a fresh margin over the last price, whether the
// favourite was added before or after that confirmation.

// MaxFavourites is how many favourites a user keeps for one SMSOnline
// account.
const MaxFavourites = 20

// ErrFavouriteLimit means the user already has MaxFavourites favourites.
var ErrFavouriteLimit = errors.New("store: too many favourites")

// Offer is what a purchase buys, in the codes SMSOnline takes: "ds", "12",
// "any". A carrier matches whatever its case.
type Offer struct {
	Service, Country, Carrier string
}

// Favourite is one offer a user keeps one tap away.
type Favourite struct {
	ID             int64
	TelegramUserID int64
	SMSUserID      string // the SMSOnline account it belongs to
	Offer
	ServiceName, CountryName string // what to show; the codes when SMSOnline gave no names
	// OrderID is the order it was added from, or the newest of its offer
	// /buy saw since: what "/buy <orderId> <maxPrice>" names for it.
	OrderID string
	Price   int64 // the last price, in cents; 0 = unknown
	// MaxPrice is the ceiling the user last confirmed a purchase of this
	// offer with, in cents; 0 = none yet.
	MaxPrice  int64
	CreatedAt time.Time
}

const (
	favouriteColumns = `f.id, f.telegram_user_id, f.sms_user_id, f.service, f.country, f.carrier,
	f.service_name, f.country_name, f.order_id, f.price, COALESCE(c.max_price, 0), f.created_at`
	favouritesFrom = ` FROM favourites f LEFT JOIN ceilings c ON c.telegram_user_id = f.telegram_user_id
	AND c.sms_user_id = f.sms_user_id AND c.service = f.service AND c.country = f.country AND c.carrier = f.carrier`
	favouritesQuery = `SELECT ` + favouriteColumns + favouritesFrom + `
	WHERE f.telegram_user_id = ? AND f.sms_user_id = ? ORDER BY f.id`
	favouriteByIDQuery = `SELECT ` + favouriteColumns + favouritesFrom + `
	WHERE f.id = ? AND f.telegram_user_id = ? AND f.sms_user_id = ?`
	favouriteOfQuery = `SELECT ` + favouriteColumns + favouritesFrom + `
	WHERE f.telegram_user_id = ? AND f.sms_user_id = ? AND f.service = ? AND f.country = ? AND f.carrier = ?`
	countFavouritesQuery = `SELECT COUNT(*) FROM favourites WHERE telegram_user_id = ? AND sms_user_id = ?`
	insertFavouriteQuery = `INSERT INTO favourites (telegram_user_id, sms_user_id, service, country, carrier,
		service_name, country_name, order_id, price, created_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	// Adding an offer again refreshes what it shows.
	refreshFavouriteQuery = `UPDATE favourites SET service_name = ?, country_name = ?, order_id = ?, price = ?
	WHERE id = ?`
	seenFavouriteQuery     = `UPDATE favourites SET order_id = ?, price = ? WHERE id = ? AND telegram_user_id = ?`
	deleteFavouriteQuery   = `DELETE FROM favourites WHERE id = ? AND telegram_user_id = ? AND sms_user_id = ?`
	deleteFavouriteOfQuery = `DELETE FROM favourites
	WHERE telegram_user_id = ? AND sms_user_id = ? AND service = ? AND country = ? AND carrier = ?`
	keepCeilingQuery = `INSERT INTO ceilings (telegram_user_id, sms_user_id, service, country, carrier, max_price, updated_at)
	VALUES (?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (telegram_user_id, sms_user_id, service, country, carrier) DO UPDATE SET
		max_price = excluded.max_price, updated_at = excluded.updated_at`
)

func scanFavourite(dest func(...any) error) (Favourite, error) {
	var f Favourite
	var created int64
	err := dest(&f.ID, &f.TelegramUserID, &f.SMSUserID, &f.Service, &f.Country, &f.Carrier,
		&f.ServiceName, &f.CountryName, &f.OrderID, &f.Price, &f.MaxPrice, &created)
	f.CreatedAt = fromMillis(created)
	return f, err
}

// AddFavourite keeps f's offer among its user's favourites for f's
// SMSOnline account. An offer already there is not added twice: its names,
// order and price are refreshed (created is false). A user who has
// MaxFavourites already gets ErrFavouriteLimit.
func (s *Store) AddFavourite(ctx context.Context, f Favourite, now time.Time) (got Favourite, created bool, err error) {
	if f.OrderID == "" || f.Service == "" || f.Country == "" || f.Carrier == "" {
		return Favourite{}, false, fmt.Errorf("add favourite of %d: no order or offer", f.TelegramUserID)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		old, err := scanFavourite(tx.QueryRowContext(ctx, favouriteOfQuery,
			f.TelegramUserID, f.SMSUserID, f.Service, f.Country, f.Carrier).Scan)
		switch {
		case err == nil:
			_, err := tx.ExecContext(ctx, refreshFavouriteQuery, f.ServiceName, f.CountryName, f.OrderID, f.Price, old.ID)
			old.ServiceName, old.CountryName, old.OrderID, old.Price = f.ServiceName, f.CountryName, f.OrderID, f.Price
			got = old
			return err
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, countFavouritesQuery, f.TelegramUserID, f.SMSUserID).Scan(&n); err != nil {
			return err
		}
		if n >= MaxFavourites {
			return ErrFavouriteLimit
		}
		if _, err := tx.ExecContext(ctx, insertFavouriteQuery, f.TelegramUserID, f.SMSUserID, f.Service, f.Country, f.Carrier,
			f.ServiceName, f.CountryName, f.OrderID, f.Price, millis(now)); err != nil {
			return err
		}
		// Read back: the ceiling the offer may have from before.
		got, err = scanFavourite(tx.QueryRowContext(ctx, favouriteOfQuery,
			f.TelegramUserID, f.SMSUserID, f.Service, f.Country, f.Carrier).Scan)
		created = err == nil
		return err
	})
	if err != nil {
		return Favourite{}, false, fmt.Errorf("add favourite of %d: %w", f.TelegramUserID, err)
	}
	return got, created, nil
}

// Favourites returns the user's favourites for an SMSOnline account, in the
// order they were added.
func (s *Store) Favourites(ctx context.Context, telegramUserID int64, smsUserID string) ([]Favourite, error) {
	rows, err := s.read.QueryContext(ctx, favouritesQuery, telegramUserID, smsUserID)
	if err != nil {
		return nil, fmt.Errorf("list favourites of %d: %w", telegramUserID, err)
	}
	defer rows.Close()
	var out []Favourite
	for rows.Next() {
		f, err := scanFavourite(rows.Scan)
		if err != nil {
			return nil, fmt.Errorf("list favourites of %d: %w", telegramUserID, err)
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list favourites of %d: %w", telegramUserID, err)
	}
	return out, nil
}

// Favourite returns the user's favourite id for an SMSOnline account, or
// ErrNotFound: an id that is someone else's, or another account's, is not
// found.
func (s *Store) Favourite(ctx context.Context, telegramUserID int64, smsUserID string, id int64) (Favourite, error) {
	f, err := scanFavourite(s.read.QueryRowContext(ctx, favouriteByIDQuery, id, telegramUserID, smsUserID).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return Favourite{}, fmt.Errorf("favourite %d of %d: %w", id, telegramUserID, ErrNotFound)
	}
	if err != nil {
		return Favourite{}, fmt.Errorf("load favourite %d of %d: %w", id, telegramUserID, err)
	}
	return f, nil
}

// FavouriteOf returns the user's favourite of offer o for an SMSOnline
// account, or ErrNotFound.
func (s *Store) FavouriteOf(ctx context.Context, telegramUserID int64, smsUserID string, o Offer) (Favourite, error) {
	f, err := scanFavourite(s.read.QueryRowContext(ctx, favouriteOfQuery, telegramUserID, smsUserID, o.Service, o.Country, o.Carrier).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return Favourite{}, fmt.Errorf("favourite %s/%s/%s of %d: %w", o.Service, o.Country, o.Carrier, telegramUserID, ErrNotFound)
	}
	if err != nil {
		return Favourite{}, fmt.Errorf("load favourite %s/%s/%s of %d: %w", o.Service, o.Country, o.Carrier, telegramUserID, err)
	}
	return f, nil
}

// SeenFavourite records the newest order of the user's favourite id and
// its price (cents; 0 = unknown).
func (s *Store) SeenFavourite(ctx context.Context, telegramUserID, id int64, orderID string, price int64) error {
	if _, err := s.write.ExecContext(ctx, seenFavouriteQuery, orderID, price, id, telegramUserID); err != nil {
		return fmt.Errorf("record order of favourite %d: %w", id, err)
	}
	return nil
}

// RemoveFavourite removes the user's favourite id for an SMSOnline account
// and reports whether there was one.
func (s *Store) RemoveFavourite(ctx context.Context, telegramUserID int64, smsUserID string, id int64) (bool, error) {
	res, err := s.write.ExecContext(ctx, deleteFavouriteQuery, id, telegramUserID, smsUserID)
	if err != nil {
		return false, fmt.Errorf("remove favourite %d of %d: %w", id, telegramUserID, err)
	}
	n, err := rowsAffected(res)
	return n > 0, err
}

// RemoveFavouriteOf removes the user's favourite of offer o for an
// SMSOnline account and reports whether there was one.
func (s *Store) RemoveFavouriteOf(ctx context.Context, telegramUserID int64, smsUserID string, o Offer) (bool, error) {
	res, err := s.write.ExecContext(ctx, deleteFavouriteOfQuery, telegramUserID, smsUserID, o.Service, o.Country, o.Carrier)
	if err != nil {
		return false, fmt.Errorf("remove favourite %s/%s/%s of %d: %w", o.Service, o.Country, o.Carrier, telegramUserID, err)
	}
	n, err := rowsAffected(res)
	return n > 0, err
}

// KeepCeiling records maxPrice (cents) as the ceiling the user last
// confirmed a purchase of offer o with, on an SMSOnline account: what a
// favourite of o offers from now on.
func (s *Store) KeepCeiling(ctx context.Context, telegramUserID int64, smsUserID string, o Offer, maxPrice int64, now time.Time) error {
	if _, err := s.write.ExecContext(ctx, keepCeilingQuery, telegramUserID, smsUserID, o.Service, o.Country, o.Carrier,
		maxPrice, millis(now)); err != nil {
		return fmt.Errorf("keep ceiling of %s/%s/%s for %d: %w", o.Service, o.Country, o.Carrier, telegramUserID, err)
	}
	return nil
}
