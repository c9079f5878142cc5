package smsapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
)

const opBalance = "balance"

// Balance is the money side of an account.
type Balance struct {
	UserID       string         // userId as the API echoes it
	Amount       Money          // balance
	TotalCharges Money          // totalCharges: the total topped up so far
	CouponCount  int            // couponCount
	DiscountRate string         // currentDiscountRate, as text, e.g. "-20%"
	Discounts    []DiscountTier // discountRates, in the API's order; nil when none could be read
}

// DiscountTier is one row of discountRates: from a total top-up of From on,
// prices are multiplied by Multiplier.
type DiscountTier struct {
	From       Money   // threshold of totalCharges
	Multiplier float64 // e.g. 0.8
	Label      string  // e.g. "-20%"
}

// Balance fetches the balance of the account cred names:
// GET /v3/customers/{userId}/balance.
func (c *Client) Balance(ctx context.Context, cred Credentials) (Balance, error) {
	if err := cred.check(); err != nil {
		return Balance{}, invalidInput(opBalance, err)
	}
	body, err := c.get(ctx, opBalance, cred, "customers", cred.UserID, "balance")
	if err != nil {
		return Balance{}, err
	}
	b, err := decodeBalance(body)
	if err != nil {
		return Balance{}, malformed(opBalance, cred.APIKey, fmt.Errorf("decode balance: %w", err))
	}
	return b, nil
}

// balanceJSON is the balance object on the wire.
type balanceJSON struct {
	UserID              flexString      `json:"userId"`
	Balance             flexMoney       `json:"balance"`
	TotalCharges        flexMoney       `json:"totalCharges"`
	CouponCount         flexInt         `json:"couponCount"`
	CurrentDiscountRate flexString      `json:"currentDiscountRate"`
	DiscountRates       json.RawMessage `json:"discountRates"`
}

func decodeBalance(body json.RawMessage) (Balance, error) {
	if isNull(body) || body[0] != '{' {
		return Balance{}, errors.New("body is not an object")
	}
	var j balanceJSON
	if err := json.Unmarshal(body, &j); err != nil {
		return Balance{}, err
	}
	return Balance{
		UserID:       string(j.UserID),
		Amount:       Money(j.Balance),
		TotalCharges: Money(j.TotalCharges),
		CouponCount:  int(j.CouponCount),
		DiscountRate: string(j.CurrentDiscountRate),
		Discounts:    decodeDiscounts(j.DiscountRates),
	}, nil
}

// decodeDiscounts reads rows of [threshold cents, multiplier, label]. It is
// lenient: a row without a readable threshold and multiplier is skipped, and
// anything but an array is no tiers.
func decodeDiscounts(raw json.RawMessage) []DiscountTier {
	var rows []json.RawMessage
	if isNull(raw) || json.Unmarshal(raw, &rows) != nil {
		return nil
	}
	var tiers []DiscountTier
	for _, row := range rows {
		var cells []json.RawMessage
		if json.Unmarshal(row, &cells) != nil || len(cells) < 2 {
			continue
		}
		var from flexMoney
		var mult, label flexString
		_ = from.UnmarshalJSON(cells[0])
		if mult.UnmarshalJSON(cells[1]) != nil || !from.Valid {
			continue
		}
		f, err := strconv.ParseFloat(string(mult), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
			continue
		}
		if len(cells) > 2 && label.UnmarshalJSON(cells[2]) != nil {
			label = ""
		}
		tiers = append(tiers, DiscountTier{From: Money(from), Multiplier: f, Label: string(label)})
	}
	return tiers
}
