package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// migrations are applied in order; migrations[i] brings the schema from
// version i to version i+1. Never edit a released entry: append a new one.
var migrations = []string{
	// 1: the first schema.
	`
CREATE TABLE meta (
	name  TEXT PRIMARY KEY,
	value BLOB NOT NULL
);

CREATE TABLE accounts (
	telegram_user_id INTEGER PRIMARY KEY,
	sms_user_id      TEXT    NOT NULL,
	sealed_api_key   BLOB    NOT NULL,
	created_at       INTEGER NOT NULL,
	updated_at       INTEGER NOT NULL
);

CREATE TABLE telegram_offset (
	id        INTEGER PRIMARY KEY CHECK (id = 1),
	update_id INTEGER NOT NULL
);

CREATE TABLE watches (
	telegram_user_id INTEGER NOT NULL REFERENCES accounts (telegram_user_id) ON DELETE CASCADE,
	order_id         TEXT    NOT NULL,
	chat_id          INTEGER NOT NULL,
	state            TEXT    NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'paused')),
	service          TEXT    NOT NULL DEFAULT '',
	phone_number     TEXT    NOT NULL DEFAULT '',
	status           TEXT    NOT NULL DEFAULT '',
	expires_at       INTEGER NOT NULL DEFAULT 0,
	next_check_at    INTEGER NOT NULL DEFAULT 0,
	claimed_until    INTEGER NOT NULL DEFAULT 0,
	last_checked_at  INTEGER NOT NULL DEFAULT 0,
	failures         INTEGER NOT NULL DEFAULT 0,
	created_at       INTEGER NOT NULL,
	PRIMARY KEY (telegram_user_id, order_id)
);
-- The watcher's hot path: due active watches in next_check_at order.
CREATE INDEX watches_due ON watches (state, next_check_at);
-- Only watches being checked have a claim, so this stays small; it lets
-- NextWatchDue and ReleaseClaims avoid a full scan.
CREATE INDEX watches_claimed ON watches (claimed_until) WHERE claimed_until > 0;
-- DropChat and MigrateChat.
CREATE INDEX watches_chat ON watches (chat_id);

-- AUTOINCREMENT so that an id is never reused: the sender may still hold
-- the id of a row that DropChat deleted, and MarkSent must not hit a newer row.
CREATE TABLE outbox (
	id               INTEGER PRIMARY KEY AUTOINCREMENT,
	chat_id          INTEGER NOT NULL,
	telegram_user_id INTEGER NOT NULL DEFAULT 0,
	order_id         TEXT    NOT NULL DEFAULT '',
	priority         INTEGER NOT NULL,
	text             TEXT    NOT NULL,
	markup           TEXT    NOT NULL DEFAULT '',
	attempts         INTEGER NOT NULL DEFAULT 0,
	next_attempt_at  INTEGER NOT NULL,
	created_at       INTEGER NOT NULL
);
CREATE INDEX outbox_due ON outbox (priority, next_attempt_at, id);
CREATE INDEX outbox_chat ON outbox (chat_id);

-- SMS already shown to a user: sha256 over user id, order id and SMS text,
-- so the text itself is not kept.
CREATE TABLE delivered_sms (
	hash       BLOB PRIMARY KEY,
	created_at INTEGER NOT NULL
) WITHOUT ROWID;
`,
	// 2: codes go only to their owner's private chat, whose id is the user's
	// id. Version 1 moved a watch to the chat of its latest /order, a group
	// too: such watches move back, with the pushes and notices waiting for
	// them. A push joined for several users in a group names no owner and
	// cannot be split: it is dropped (each user can ask with /order).
	`
UPDATE watches SET chat_id = telegram_user_id WHERE chat_id != telegram_user_id;
UPDATE outbox SET chat_id = telegram_user_id WHERE telegram_user_id != 0 AND chat_id != telegram_user_id;
DELETE FROM outbox WHERE telegram_user_id = 0 AND chat_id < 0;
`,
	// 3: money actions (refunds and purchases, each done at most once), the
	// balance watched after a top-up link, and the fast pace a watch keeps
	// after "another SMS" was asked for.
	`
ALTER TABLE watches ADD COLUMN fast_until INTEGER NOT NULL DEFAULT 0;

-- One row per money action, written before the request that moves money.
-- (telegram_user_id, kind, key) is what makes two taps the same action.
CREATE TABLE money_actions (
	id               INTEGER PRIMARY KEY AUTOINCREMENT,
	telegram_user_id INTEGER NOT NULL REFERENCES accounts (telegram_user_id) ON DELETE CASCADE,
	kind             TEXT    NOT NULL CHECK (kind IN ('refund', 'buy')),
	key              TEXT    NOT NULL,
	state            TEXT    NOT NULL CHECK (state IN ('intent', 'sent', 'done', 'failed', 'unknown')),
	order_id         TEXT    NOT NULL DEFAULT '',
	source_order_id  TEXT    NOT NULL DEFAULT '',
	service          TEXT    NOT NULL DEFAULT '',
	country          TEXT    NOT NULL DEFAULT '',
	carrier          TEXT    NOT NULL DEFAULT '',
	service_name     TEXT    NOT NULL DEFAULT '',
	country_name     TEXT    NOT NULL DEFAULT '',
	max_price        INTEGER NOT NULL DEFAULT 0,
	price            INTEGER NOT NULL DEFAULT 0,
	chat_id          INTEGER NOT NULL DEFAULT 0,
	detail           TEXT    NOT NULL DEFAULT '',
	checks           INTEGER NOT NULL DEFAULT 0,
	next_check_at    INTEGER NOT NULL DEFAULT 0,
	created_at       INTEGER NOT NULL,
	updated_at       INTEGER NOT NULL,
	UNIQUE (telegram_user_id, kind, key)
);
-- A bought order settles one purchase only.
CREATE UNIQUE INDEX money_actions_bought ON money_actions (telegram_user_id, order_id)
	WHERE kind = 'buy' AND order_id != '';
-- The reconciler's queue: actions whose outcome is unknown.
CREATE INDEX money_actions_unknown ON money_actions (next_check_at) WHERE state = 'unknown';

-- The balance of a user who was given a top-up link, until it rises.
CREATE TABLE balance_watches (
	telegram_user_id INTEGER PRIMARY KEY REFERENCES accounts (telegram_user_id) ON DELETE CASCADE,
	chat_id          INTEGER NOT NULL,
	baseline         INTEGER NOT NULL,
	amount           INTEGER NOT NULL,
	until            INTEGER NOT NULL,
	next_check_at    INTEGER NOT NULL,
	created_at       INTEGER NOT NULL
);
CREATE INDEX balance_watches_due ON balance_watches (next_check_at);
`,
	// 4: each Telegram user's language: the one they chose with /language
	// and the language_code Telegram last sent. Not account data: it
	// outlives /logout, and a user without an account has one.
	`
CREATE TABLE users (
	telegram_user_id INTEGER PRIMARY KEY,
	language         TEXT    NOT NULL DEFAULT '',
	language_code    TEXT    NOT NULL DEFAULT '',
	updated_at       INTEGER NOT NULL
);
`,
	// 5: money records outlive the account (no cascade: a confirmation once
	// used stays used across /logout and /login); a confirmation is a row
	// ('offered') before it is pressed, so a button carries only its nonce;
	// a purchase keeps the order ids the inventory showed before its PUT
	// (known_orders) and a refusal keeps its class (failure) and SMSOnline's
	// new price. /logout waits for unsettled actions (logout_at). "Another
	// SMS" is asked once per SMS (sms_requests). Group messages with buttons
	// remember whom they were made for (cards).
	`
CREATE TABLE money_actions_v5 (
	id               INTEGER PRIMARY KEY AUTOINCREMENT,
	telegram_user_id INTEGER NOT NULL,
	kind             TEXT    NOT NULL CHECK (kind IN ('refund', 'buy')),
	key              TEXT    NOT NULL,
	state            TEXT    NOT NULL CHECK (state IN ('offered', 'intent', 'sent', 'done', 'failed', 'unknown')),
	order_id         TEXT    NOT NULL DEFAULT '',
	source_order_id  TEXT    NOT NULL DEFAULT '',
	service          TEXT    NOT NULL DEFAULT '',
	country          TEXT    NOT NULL DEFAULT '',
	carrier          TEXT    NOT NULL DEFAULT '',
	service_name     TEXT    NOT NULL DEFAULT '',
	country_name     TEXT    NOT NULL DEFAULT '',
	max_price        INTEGER NOT NULL DEFAULT 0,
	price            INTEGER NOT NULL DEFAULT 0,
	chat_id          INTEGER NOT NULL DEFAULT 0,
	detail           TEXT    NOT NULL DEFAULT '',
	failure          TEXT    NOT NULL DEFAULT '',
	new_price        INTEGER NOT NULL DEFAULT 0,
	known_orders     TEXT,
	checks           INTEGER NOT NULL DEFAULT 0,
	next_check_at    INTEGER NOT NULL DEFAULT 0,
	created_at       INTEGER NOT NULL,
	updated_at       INTEGER NOT NULL,
	UNIQUE (telegram_user_id, kind, key)
);
INSERT INTO money_actions_v5 (id, telegram_user_id, kind, key, state, order_id, source_order_id,
	service, country, carrier, service_name, country_name, max_price, price, chat_id, detail,
	failure, checks, next_check_at, created_at, updated_at)
SELECT id, telegram_user_id, kind, key, state, order_id, source_order_id,
	service, country, carrier, service_name, country_name, max_price, price, chat_id, detail,
	CASE state WHEN 'failed' THEN 'refused' ELSE '' END, checks, next_check_at, created_at, updated_at
FROM money_actions;
DROP TABLE money_actions;
ALTER TABLE money_actions_v5 RENAME TO money_actions;
CREATE UNIQUE INDEX money_actions_bought ON money_actions (telegram_user_id, order_id)
	WHERE kind = 'buy' AND order_id != '';
CREATE INDEX money_actions_unknown ON money_actions (next_check_at) WHERE state = 'unknown';
-- A pressed button names its confirmation by nonce only.
CREATE INDEX money_actions_key ON money_actions (key);

ALTER TABLE accounts ADD COLUMN logout_at INTEGER NOT NULL DEFAULT 0;

-- "Another SMS" asked for an order while it showed a given SMS: keyed
-- fingerprints of user, order and that SMS, as in delivered_sms.
CREATE TABLE sms_requests (
	hash       BLOB PRIMARY KEY,
	created_at INTEGER NOT NULL
) WITHOUT ROWID;

-- Messages with buttons the bot sent to groups, and whom each was made for:
-- a press never edits a card made for someone else.
CREATE TABLE cards (
	chat_id          INTEGER NOT NULL,
	message_id       INTEGER NOT NULL,
	telegram_user_id INTEGER NOT NULL,
	created_at       INTEGER NOT NULL,
	PRIMARY KEY (chat_id, message_id)
) WITHOUT ROWID;
`,
	// 6: "New number": a purchase that replaces a number that got no SMS
	// names that order (replace_order); once the purchase is done, the old
	// number's refund is begun exactly once (replace_state: pending →
	// begun, or kept when the old number got an SMS meanwhile).
	`
ALTER TABLE money_actions ADD COLUMN replace_order TEXT NOT NULL DEFAULT '';
ALTER TABLE money_actions ADD COLUMN replace_state TEXT NOT NULL DEFAULT ''
	CHECK (replace_state IN ('', 'pending', 'begun', 'kept'));
-- Purchases done whose old number's refund is still to begin.
CREATE INDEX money_actions_replacing ON money_actions (updated_at)
	WHERE kind = 'buy' AND state = 'done' AND replace_state = 'pending';
-- The reconciler looks for waiting logouts every second: few or none.
CREATE INDEX accounts_logout ON accounts (logout_at) WHERE logout_at > 0;
`,
	// 7: the rule for numbers that get no SMS. A user's rule (rules); on
	// each watch, when the order was made (ordered_at, or when the bot
	// first saw it), when the rule acts on it (rule_at, 0 = never: no rule,
	// an SMS came, or the user kept the number) and whether the user kept it
	// (rule_kept). A chain replaces a number that got no SMS until one
	// does, within its limits (chains); its steps are its purchases, keyed
	// "chain-<id>-<step>". "Keep trying" after a stock refusal (stock_tries).
	// Several numbers bought in one confirmation (quantity, batch_state).
	`
CREATE TABLE rules (
	telegram_user_id INTEGER PRIMARY KEY,
	kind             TEXT    NOT NULL CHECK (kind IN ('off', 'refund', 'retry')),
	minutes          INTEGER NOT NULL DEFAULT 0,
	max_numbers      INTEGER NOT NULL DEFAULT 0,
	max_spend        INTEGER NOT NULL DEFAULT 0,
	updated_at       INTEGER NOT NULL
);
ALTER TABLE watches ADD COLUMN ordered_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE watches ADD COLUMN rule_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE watches ADD COLUMN rule_kept INTEGER NOT NULL DEFAULT 0;
-- Due rule steps: one indexed query, like due checks.
CREATE INDEX watches_rule ON watches (rule_at) WHERE rule_at > 0 AND state = 'active';
CREATE TABLE chains (
	id               INTEGER PRIMARY KEY AUTOINCREMENT,
	telegram_user_id INTEGER NOT NULL,
	first_order      TEXT    NOT NULL,
	first_price      INTEGER NOT NULL,
	minutes          INTEGER NOT NULL,
	max_numbers      INTEGER NOT NULL,
	max_spend        INTEGER NOT NULL,
	state            TEXT    NOT NULL CHECK (state IN ('running', 'ending', 'stopped')),
	created_at       INTEGER NOT NULL,
	updated_at       INTEGER NOT NULL,
	UNIQUE (telegram_user_id, first_order)
);
-- "Keep trying" after a purchase refused for stock: one per refused
-- purchase (source_action), editing one message (chat_id, message_id);
-- its try n is the money action keyed "stock-<id>-<n>".
CREATE TABLE stock_tries (
	id               INTEGER PRIMARY KEY AUTOINCREMENT,
	telegram_user_id INTEGER NOT NULL,
	source_action    INTEGER NOT NULL UNIQUE,
	chat_id          INTEGER NOT NULL,
	message_id       INTEGER NOT NULL,
	state            TEXT    NOT NULL CHECK (state IN ('trying', 'bought', 'stopped', 'ended')),
	tries            INTEGER NOT NULL DEFAULT 0,
	next_at          INTEGER NOT NULL,
	until_at         INTEGER NOT NULL,
	created_at       INTEGER NOT NULL,
	updated_at       INTEGER NOT NULL
);
CREATE INDEX stock_tries_due ON stock_tries (next_at) WHERE state = 'trying';
-- Several numbers in one confirmation: the confirmation's purchase is the
-- first, keyed by its nonce; number i is keyed "<nonce>-<i>". batch_state
-- says how far the batch got ('' for a single purchase).
ALTER TABLE money_actions ADD COLUMN quantity INTEGER NOT NULL DEFAULT 1
	CHECK (quantity BETWEEN 1 AND 10);
ALTER TABLE money_actions ADD COLUMN batch_state TEXT NOT NULL DEFAULT ''
	CHECK (batch_state IN ('', 'running', 'done', 'cut'));
CREATE INDEX money_actions_batches ON money_actions (id) WHERE batch_state = 'running';
`,
	// 8: favourites, a user's offers one tap away, per SMSOnline account
	// (sms_user_id), so /logout keeps them for the same account and another
	// account does not see them; and the ceiling each user last confirmed a
	// purchase of an offer with (ceilings), which a favourite of that offer
	// offers, whenever it was added. Neither references accounts: both
	// outlive /logout. A carrier matches whatever its case, as /buy's
	// catalogue compares it.
	`
CREATE TABLE favourites (
	id               INTEGER PRIMARY KEY AUTOINCREMENT,
	telegram_user_id INTEGER NOT NULL,
	sms_user_id      TEXT    NOT NULL,
	service          TEXT    NOT NULL,
	country          TEXT    NOT NULL,
	carrier          TEXT    NOT NULL COLLATE NOCASE,
	service_name     TEXT    NOT NULL DEFAULT '',
	country_name     TEXT    NOT NULL DEFAULT '',
	order_id         TEXT    NOT NULL,
	price            INTEGER NOT NULL DEFAULT 0,
	created_at       INTEGER NOT NULL,
	UNIQUE (telegram_user_id, sms_user_id, service, country, carrier)
);
CREATE TABLE ceilings (
	telegram_user_id INTEGER NOT NULL,
	sms_user_id      TEXT    NOT NULL,
	service          TEXT    NOT NULL,
	country          TEXT    NOT NULL,
	carrier          TEXT    NOT NULL COLLATE NOCASE,
	max_price        INTEGER NOT NULL,
	updated_at       INTEGER NOT NULL,
	PRIMARY KEY (telegram_user_id, sms_user_id, service, country, carrier)
) WITHOUT ROWID;
`,
	// 9: what /stats reads, so its numbers survive restarts: each push
	// Telegram accepted, with how long it waited since the SMS was seen
	// (push_events); SMSOnline requests and errors per minute (api_calls);
	// and /announce's stored confirmations (announcements).
	`
CREATE TABLE push_events (
	sent_at    INTEGER NOT NULL,
	latency_ms INTEGER NOT NULL
);
CREATE INDEX push_events_sent ON push_events (sent_at);
CREATE TABLE api_calls (
	minute   INTEGER PRIMARY KEY,
	requests INTEGER NOT NULL,
	errors   INTEGER NOT NULL
);
CREATE TABLE announcements (
	nonce      TEXT    PRIMARY KEY,
	admin_id   INTEGER NOT NULL,
	text       TEXT    NOT NULL,
	state      TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'cancelled')),
	recipients INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
) WITHOUT ROWID;
`,
	// 10: update ids taken from a webhook, so a resent update is not handled
	// twice; kept for two days, longer than Telegram keeps an update.
	`
CREATE TABLE telegram_updates (
	update_id INTEGER PRIMARY KEY,
	seen_at   INTEGER NOT NULL
);
CREATE INDEX telegram_updates_seen_at ON telegram_updates (seen_at);
`,
}

const (
	createSchemaVersionQuery = `CREATE TABLE IF NOT EXISTS schema_version (
	id      INTEGER PRIMARY KEY CHECK (id = 1),
	version INTEGER NOT NULL
)`
	selectSchemaVersionQuery = `SELECT version FROM schema_version WHERE id = 1`
	upsertSchemaVersionQuery = `INSERT INTO schema_version (id, version) VALUES (1, ?)
	ON CONFLICT (id) DO UPDATE SET version = excluded.version`
)

// latestSchemaVersion is the schema version this code writes: one per migration.
var latestSchemaVersion = len(migrations)

// migrate brings the database to latestSchemaVersion, one transaction per
// migration, so that a crash leaves the file at some whole version.
func migrate(ctx context.Context, db *sql.DB) error {
	for {
		done, err := migrateStep(ctx, db)
		if err != nil {
			return err
		}
		if done {
			return nil
		}
	}
}

// migrateStep applies the next migration, if any. It reads the version
// inside the (immediate) transaction, so two processes opening the same
// file at once cannot both apply the same step.
func migrateStep(ctx context.Context, db *sql.DB) (done bool, err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("begin migration: %w", err)
	}
	defer tx.Rollback()

	if _, err := tx.ExecContext(ctx, createSchemaVersionQuery); err != nil {
		return false, fmt.Errorf("create schema_version: %w", err)
	}
	var version int
	err = tx.QueryRowContext(ctx, selectSchemaVersionQuery).Scan(&version)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("read schema version: %w", err)
	}
	switch {
	case version > latestSchemaVersion:
		return false, fmt.Errorf("%w: file has version %d, this program knows up to %d", ErrSchemaTooNew, version, latestSchemaVersion)
	case version == latestSchemaVersion:
		return true, tx.Commit()
	}

	next := version + 1
	if _, err := tx.ExecContext(ctx, migrations[version]); err != nil {
		return false, fmt.Errorf("migrate to version %d: %w", next, err)
	}
	if _, err := tx.ExecContext(ctx, upsertSchemaVersionQuery, next); err != nil {
		return false, fmt.Errorf("record schema version %d: %w", next, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("commit migration to version %d: %w", next, err)
	}
	return false, nil
}
