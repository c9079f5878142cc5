package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"
)

var discordUS = Offer{Service: "ds", Country: "12", Carrier: "any"}

// favourite is user's favourite of o on SMSOnline account sms-user, added
// from order orderID.
func favourite(user int64, o Offer, orderID string) Favourite {
	return Favourite{TelegramUserID: user, SMSUserID: "sms-user", Offer: o,
		ServiceName: "Discord", CountryName: "United States", OrderID: orderID, Price: 16}
}

func addFavourite(t *testing.T, s *Store, f Favourite) Favourite {
	t.Helper()
	got, created, err := s.AddFavourite(context.Background(), f, t0)
	if err != nil || !created {
		t.Fatalf("AddFavourite(%+v) = %+v, %v, %v", f, got, created, err)
	}
	return got
}

// TestFavouriteAddRemoveList: an offer is a favourite once however often
// it is added (the names, order and price refreshed), the list keeps the
// order they were added in, and each is removed by its id or by its offer.
func TestFavouriteAddRemoveList(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	tg := Offer{Service: "tg", Country: "16", Carrier: "tmobile"}
	first := addFavourite(t, s, favourite(1, discordUS, "500"))
	second := addFavourite(t, s, favourite(1, tg, "501"))

	again := favourite(1, Offer{Service: "ds", Country: "12", Carrier: "ANY"}, "502") // the carrier's case does not count
	again.Price = 18
	got, created, err := s.AddFavourite(ctx, again, t0)
	if err != nil || created || got.ID != first.ID || got.OrderID != "502" || got.Price != 18 {
		t.Fatalf("adding an offer again = %+v, %v, %v; want favourite %d refreshed", got, created, err, first.ID)
	}
	list, err := s.Favourites(ctx, 1, "sms-user")
	if err != nil || len(list) != 2 || list[0].ID != first.ID || list[1].ID != second.ID || list[0].OrderID != "502" {
		t.Fatalf("Favourites = %+v, %v", list, err)
	}
	if f, err := s.FavouriteOf(ctx, 1, "sms-user", tg); err != nil || f.ID != second.ID || f.Carrier != "tmobile" {
		t.Errorf("FavouriteOf(tg) = %+v, %v", f, err)
	}

	if gone, err := s.RemoveFavouriteOf(ctx, 1, "sms-user", discordUS); err != nil || !gone {
		t.Errorf("RemoveFavouriteOf = %v, %v", gone, err)
	}
	if gone, err := s.RemoveFavouriteOf(ctx, 1, "sms-user", discordUS); err != nil || gone {
		t.Errorf("RemoveFavouriteOf again = %v, %v; want nothing to remove", gone, err)
	}
	if _, err := s.FavouriteOf(ctx, 1, "sms-user", discordUS); !errors.Is(err, ErrNotFound) {
		t.Errorf("removed favourite: %v", err)
	}
	// By id: only the owner's, on the owner's account.
	for _, other := range []struct {
		user int64
		sms  string
	}{{2, "sms-user"}, {1, "other-account"}} {
		if gone, err := s.RemoveFavourite(ctx, other.user, other.sms, second.ID); err != nil || gone {
			t.Errorf("RemoveFavourite by %d/%s = %v, %v; want refused", other.user, other.sms, gone, err)
		}
		if _, err := s.Favourite(ctx, other.user, other.sms, second.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("Favourite by %d/%s: %v; want not found", other.user, other.sms, err)
		}
	}
	if gone, err := s.RemoveFavourite(ctx, 1, "sms-user", second.ID); err != nil || !gone {
		t.Errorf("RemoveFavourite = %v, %v", gone, err)
	}
	if list, _ := s.Favourites(ctx, 1, "sms-user"); len(list) != 0 {
		t.Errorf("favourites left: %+v", list)
	}
}

// TestFavouriteLimit: the 21st favourite is refused and changes nothing;
// the limit counts one account's favourites, and an offer already there
// can still be added (refreshed).
func TestFavouriteLimit(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	for i := range MaxFavourites {
		addFavourite(t, s, favourite(1, Offer{Service: "s" + strconv.Itoa(i), Country: "12", Carrier: "any"}, "500"))
	}
	_, _, err := s.AddFavourite(ctx, favourite(1, discordUS, "500"), t0)
	if !errors.Is(err, ErrFavouriteLimit) {
		t.Fatalf("favourite %d: %v, want ErrFavouriteLimit", MaxFavourites+1, err)
	}
	if list, _ := s.Favourites(ctx, 1, "sms-user"); len(list) != MaxFavourites {
		t.Errorf("%d favourites, want %d", len(list), MaxFavourites)
	}
	if _, created, err := s.AddFavourite(ctx, favourite(1, Offer{Service: "s0", Country: "12", Carrier: "any"}, "501"), t0); err != nil || created {
		t.Errorf("adding a favourite already there at the limit = %v, %v", created, err)
	}
	other := favourite(1, discordUS, "500")
	other.SMSUserID = "other-account"
	addFavourite(t, s, other)
	addFavourite(t, s, favourite(2, discordUS, "500"))
}

// TestFavouritesKeptAcrossLogout: /logout keeps a user's favourites and the
// ceilings they confirmed; a /login to the same SMSOnline account shows
// them, one to another account does not.
func TestFavouritesKeptAcrossLogout(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	addAccount(t, s, 1)
	f := addFavourite(t, s, favourite(1, discordUS, "500"))
	if err := s.KeepCeiling(ctx, 1, "sms-user", discordUS, 33, t0); err != nil {
		t.Fatal(err)
	}
	if out, err := s.LogoutAccount(ctx, 1, t0); err != nil || !out.Existed || out.Unsettled != 0 {
		t.Fatalf("LogoutAccount = %+v, %v", out, err)
	}
	if _, err := s.SaveAccount(ctx, Account{TelegramUserID: 1, SMSUserID: "other-account", APIKey: "k"}, t0); err != nil {
		t.Fatal(err)
	}
	if list, err := s.Favourites(ctx, 1, "other-account"); err != nil || len(list) != 0 {
		t.Errorf("another account's favourites = %+v, %v; want none", list, err)
	}
	if _, err := s.Favourite(ctx, 1, "other-account", f.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("favourite by id on another account: %v", err)
	}
	addAccount(t, s, 1) // the same account again
	list, err := s.Favourites(ctx, 1, "sms-user")
	if err != nil || len(list) != 1 || list[0].ID != f.ID || list[0].MaxPrice != 33 {
		t.Errorf("favourites after logout and login = %+v, %v; want %d with its ceiling 33", list, err, f.ID)
	}
}

// TestFavouriteKeepsTheLastCeiling: the ceiling last confirmed for an
// offer is what its favourite offers, whether the favourite was added
// before or after; ceilings are per user, account and offer.
func TestFavouriteKeepsTheLastCeiling(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	keep := func(user int64, sms string, o Offer, cents int64) {
		t.Helper()
		if err := s.KeepCeiling(ctx, user, sms, o, cents, t0); err != nil {
			t.Fatal(err)
		}
	}
	keep(1, "sms-user", discordUS, 25)
	keep(1, "sms-user", Offer{Service: "ds", Country: "12", Carrier: "Any"}, 33) // the same offer
	keep(2, "sms-user", discordUS, 90)
	keep(1, "other-account", discordUS, 80)
	keep(1, "sms-user", Offer{Service: "ds", Country: "16", Carrier: "any"}, 70)
	f := addFavourite(t, s, favourite(1, discordUS, "500"))
	if f.MaxPrice != 33 {
		t.Errorf("favourite added after the confirmation has ceiling %d, want 33", f.MaxPrice)
	}
	keep(1, "sms-user", discordUS, 41)
	for _, get := range []func() (Favourite, error){
		func() (Favourite, error) { return s.Favourite(ctx, 1, "sms-user", f.ID) },
		func() (Favourite, error) { return s.FavouriteOf(ctx, 1, "sms-user", discordUS) },
		func() (Favourite, error) {
			list, err := s.Favourites(ctx, 1, "sms-user")
			if len(list) != 1 {
				return Favourite{}, fmt.Errorf("%d favourites", len(list))
			}
			return list[0], err
		},
	} {
		if got, err := get(); err != nil || got.MaxPrice != 41 {
			t.Errorf("favourite = %+v, %v; want ceiling 41", got, err)
		}
	}
	if err := s.SeenFavourite(ctx, 1, f.ID, "600", 20); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Favourite(ctx, 1, "sms-user", f.ID); got.OrderID != "600" || got.Price != 20 {
		t.Errorf("after SeenFavourite: %+v", got)
	}
	if _, _, err := s.AddFavourite(ctx, Favourite{TelegramUserID: 1, SMSUserID: "sms-user", Offer: discordUS}, t0); err == nil {
		t.Error("a favourite without the order it came from was added")
	}
}
