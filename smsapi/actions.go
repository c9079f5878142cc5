package smsapi

import (
	"context"
	"net/http"
)

const (
	opRefund     = "refund"
	opAnotherSMS = "another sms"
)

// Refund returns the number of order orderID for a refund to the balance:
// PATCH /v3/numbers/{userId}/order/{orderId}/{NextRefund}. The API refunds
// only a number that received no SMS; a refusal is ErrRejected with the
// API's Message, an unknown order ErrOrderNotFound. When OutcomeUnknown(err)
// the refund may have happened: look at the order before trying again.
func (c *Client) Refund(ctx context.Context, cred Credentials, orderID string) error {
	return c.changeOrder(ctx, opRefund, cred, orderID, NextRefund)
}

// AnotherSMS asks for another SMS on the number of order orderID, which must
// have received one: PATCH /v3/numbers/{userId}/order/{orderId}/{NextAnotherSMS}.
// The order then waits again, and may still show the old SMS until the new
// one arrives. Errors are as for Refund.
func (c *Client) AnotherSMS(ctx context.Context, cred Credentials, orderID string) error {
	return c.changeOrder(ctx, opAnotherSMS, cred, orderID, NextAnotherSMS)
}

// changeOrder is the Change order status call. Any ok:true answer is taken
// as done: its body is not documented, so it is not read.
func (c *Client) changeOrder(ctx context.Context, op string, cred Credentials, orderID, next string) error {
	if err := cred.check(); err != nil {
		return invalidInput(op, err)
	}
	if err := checkID("order id", orderID); err != nil {
		return invalidInput(op, err)
	}
	_, err := c.call(ctx, op, cred, http.MethodPatch, nil, "numbers", cred.UserID, "order", orderID, next)
	return err
}
