package smsapi

import (
	"context"
	"errors"
	"fmt"
	"strconv"
)

const opInventory = "inventory"

// maxExpiredLimit bounds the expiredLimit of Inventory; the API documents no
// limit, this only keeps a typo from asking for millions of rows.
const maxExpiredLimit = 10000

// Inventory lists the numbers of the account cred names, including up to
// expiredLimit expired ones: GET /v3/numbers/{userId}/inventory/{limit}. The
// elements are read as order objects; one without an orderId has ID "".
// expiredLimit must be between 0 and 10000.
func (c *Client) Inventory(ctx context.Context, cred Credentials, expiredLimit int) ([]Order, error) {
	if err := cred.check(); err != nil {
		return nil, invalidInput(opInventory, err)
	}
	if expiredLimit < 0 || expiredLimit > maxExpiredLimit {
		return nil, invalidInput(opInventory, &inputError{"expired limit", "must be between 0 and 10000"})
	}
	body, err := c.get(ctx, opInventory, cred, "numbers", cred.UserID, "inventory", strconv.Itoa(expiredLimit))
	if err != nil {
		return nil, err
	}
	if isNull(body) {
		return []Order{}, nil // nothing to list
	}
	if body[0] != '[' {
		err = errors.New("body is not an array")
	} else {
		var orders []Order
		if orders, err = decodeOrders(body); err == nil {
			return orders, nil
		}
	}
	return nil, malformed(opInventory, cred.APIKey, fmt.Errorf("decode inventory: %w", err))
}
