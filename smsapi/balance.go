package smsapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

const opBalance = "balance"

// Balance is the money side of an account.
type Balance struct {
	UserID       string // userId as the API echoes it
	Amount       string // balance, as decimal text
	TotalCharges string // totalCharges, as decimal text
	CouponCount  int    // couponCount
	DiscountRate string // currentDiscountRate, as text
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
		return Balance{}, &Error{Op: opBalance, Kind: ErrMalformed, StatusCode: http.StatusOK,
			Err: redactErr(fmt.Errorf("decode balance: %w", err), cred.APIKey)}
	}
	return b, nil
}

// balanceJSON is the balance object on the wire.
type balanceJSON struct {
	UserID              flexString `json:"userId"`
	Balance             flexString `json:"balance"`
	TotalCharges        flexString `json:"totalCharges"`
	CouponCount         flexInt    `json:"couponCount"`
	CurrentDiscountRate flexString `json:"currentDiscountRate"`
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
		Amount:       string(j.Balance),
		TotalCharges: string(j.TotalCharges),
		CouponCount:  int(j.CouponCount),
		DiscountRate: string(j.CurrentDiscountRate),
	}, nil
}
