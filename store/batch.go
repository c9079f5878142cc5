package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Several numbers in one confirmation: the confirmation (Quantity > 1) is
// the purchase of the first; number i is its own money action keyed
// BatchItemKey(nonce, i), offered only once number i-1 ended, so however
// often it is pressed, cut or retried, a batch never buys more than its
// quantity. The confirmation's batch_state says how far it got.

// The states of a batch.
const (
	BatchRunning = "running"
	BatchDone    = "done"
	BatchCut     = "cut" // a restart stopped it: the numbers not begun are not bought
)

// MaxQuantity is the most numbers one confirmation buys.
const MaxQuantity = 10

// BatchItemKey is the key of number i (2 and up) of the batch confirmed
// under nonce.
func BatchItemKey(nonce string, i int) string { return nonce + "-" + strconv.Itoa(i) }

const (
	setBatchStateQuery = `UPDATE money_actions SET batch_state = ?, updated_at = ?
	WHERE id = ? AND quantity > 1 AND batch_state IN (?, ?)`
	batchItemsQuery = `SELECT ` + actionColumns + ` FROM money_actions m
	WHERE m.telegram_user_id = ? AND m.kind = 'buy' AND m.key LIKE ?`
	runningBatchesQuery = `SELECT ` + actionColumns + ` FROM money_actions m WHERE m.batch_state = 'running'`
	cutBatchesQuery     = `UPDATE money_actions SET batch_state = 'cut', updated_at = ? WHERE batch_state = 'running'`
)

// StartBatch marks the batch confirmation id running; false when it was
// started before (a second press) or is no batch.
func (s *Store) StartBatch(ctx context.Context, id int64, now time.Time) (bool, error) {
	return s.moveBatch(ctx, id, BatchRunning, now, "", "")
}

// EndBatch marks a running batch done.
func (s *Store) EndBatch(ctx context.Context, id int64, now time.Time) error {
	_, err := s.moveBatch(ctx, id, BatchDone, now, BatchRunning, BatchRunning)
	return err
}

func (s *Store) moveBatch(ctx context.Context, id int64, to string, now time.Time, from ...string) (bool, error) {
	res, err := s.write.ExecContext(ctx, setBatchStateQuery, to, millis(now), id, from[0], from[1])
	if err != nil {
		return false, fmt.Errorf("batch %d to %s: %w", id, to, err)
	}
	n, err := rowsAffected(res)
	return n > 0, err
}

// BatchItems returns the numbers of batch confirmation head that were
// offered, in order, the confirmation first.
func (s *Store) BatchItems(ctx context.Context, head Action) ([]Action, error) {
	items, err := batchItems(ctx, s.read, head)
	if err != nil {
		return nil, fmt.Errorf("load batch %d: %w", head.ID, err)
	}
	return items, nil
}

type rowsQueryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func batchItems(ctx context.Context, q rowsQueryer, head Action) ([]Action, error) {
	rows, err := q.QueryContext(ctx, batchItemsQuery, head.TelegramUserID, head.Key+"-%")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Action{head}
	index := map[int64]int{head.ID: 1}
	for rows.Next() {
		var as actionScan
		if err := rows.Scan(as.dest()...); err != nil {
			return nil, err
		}
		a := as.action()
		i, err := strconv.Atoi(strings.TrimPrefix(a.Key, head.Key+"-"))
		if err != nil || i < 2 || i > head.Quantity {
			continue // LIKE's "_" matches more than the nonce
		}
		index[a.ID] = i
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b Action) int { return cmp.Compare(index[a.ID], index[b.ID]) })
	return out, nil
}

// RunningBatches returns the batches a run left running, each with its
// numbers: for start-up, which tells their users and cuts them
// (RecoverActions).
func (s *Store) RunningBatches(ctx context.Context) ([][]Action, error) {
	rows, err := s.read.QueryContext(ctx, runningBatchesQuery)
	if err != nil {
		return nil, fmt.Errorf("load running batches: %w", err)
	}
	var heads []Action
	for rows.Next() {
		var as actionScan
		if err := rows.Scan(as.dest()...); err != nil {
			rows.Close()
			return nil, fmt.Errorf("load running batches: %w", err)
		}
		heads = append(heads, as.action())
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load running batches: %w", err)
	}
	var out [][]Action
	for _, h := range heads {
		items, err := batchItems(ctx, s.read, h)
		if err != nil {
			return nil, fmt.Errorf("load batch %d: %w", h.ID, err)
		}
		out = append(out, items)
	}
	return out, nil
}
