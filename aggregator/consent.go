package aggregator

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/varde/varde/aggregator/store"
	"github.com/varde/varde/consent"
)

// ConsentRecords keeps the proof of consent: every version of a visitor's
// choice, the revocations that make old tokens stop working, and the keys
// that sign tokens.
type ConsentRecords struct{ Store store.Store }

const consentColumns = "consent_id, version, site, time, revision, lang, granted, refused, action, gpc, page_path, country, browser"

// consentColumnList is consentColumns as an insert names them.
var consentColumnList = strings.Split(consentColumns, ", ")

// Put stores one version of a consent. It returns once the store has
// accepted the row, before the visitor gets a token.
func (r ConsentRecords) Put(ctx context.Context, rec consent.Record) error {
	err := r.Store.Insert(ctx, "consent_records", consentColumnList, [][]any{consentRow(rec)})
	if err != nil {
		return fmt.Errorf("aggregator: store consent record: %w", err)
	}
	return nil
}

// consentRow is rec as a row of consent_records.
func consentRow(rec consent.Record) []any {
	granted, refused := rec.Granted, rec.Refused
	if granted == nil {
		granted = []string{}
	}
	if refused == nil {
		refused = []string{}
	}
	return []any{
		rec.ConsentID, rec.Version, rec.Site, rec.Time.UTC(), rec.Revision, rec.Lang, granted, refused,
		string(rec.Action), rec.GPC, rec.PagePath, rec.Country, rec.Browser,
	}
}

// History returns every version of a consent, oldest first.
func (r ConsentRecords) History(ctx context.Context, consentID string) ([]consent.Record, error) {
	rows, err := r.Store.Query(ctx, "SELECT "+consentColumns+" FROM consent_records WHERE consent_id = ? ORDER BY version", consentID)
	if err != nil {
		return nil, fmt.Errorf("aggregator: consent history: %w", err)
	}
	var out []consent.Record
	for rows.Next() {
		var rec consent.Record
		var action string
		if err := rows.Scan(&rec.ConsentID, &rec.Version, &rec.Site, &rec.Time, &rec.Revision, &rec.Lang,
			&rec.Granted, &rec.Refused, &action, &rec.GPC, &rec.PagePath, &rec.Country, &rec.Browser); err != nil {
			return nil, fmt.Errorf("aggregator: consent history: %w", err)
		}
		rec.Action = consent.Action(action)
		out = append(out, rec)
	}
	return out, nil
}

// Erase deletes every version of a consent and waits until the rows are
// gone, so that an erasure is done when it is answered.
func (r ConsentRecords) Erase(ctx context.Context, consentID string) error {
	if err := r.Store.Exec(ctx, "ALTER TABLE consent_records DELETE WHERE consent_id = ?", consentID); err != nil {
		return fmt.Errorf("aggregator: erase consent: %w", err)
	}
	return WaitMutations(ctx, r.Store, "", "consent_records")
}

// WaitMutations waits until a table (of database, or of the store's current
// database when "") has no unfinished mutations. ClickHouse runs ALTER ...
// DELETE in the background; 18.16 has no mutations_sync, so this polls
// system.mutations on both backends.
func WaitMutations(ctx context.Context, s store.Store, database, table string) error {
	for delay := 5 * time.Millisecond; ; delay = min(delay*2, 200*time.Millisecond) {
		rows, err := s.Query(ctx, "SELECT count() FROM system.mutations WHERE database = if(? = '', currentDatabase(), ?) AND table = ? AND is_done = 0", database, database, table)
		if err != nil {
			return fmt.Errorf("aggregator: wait for mutations of %s: %w", table, err)
		}
		var pending int
		if rows.Next() {
			if err := rows.Scan(&pending); err != nil {
				return fmt.Errorf("aggregator: wait for mutations of %s: %w", table, err)
			}
		}
		if pending == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("aggregator: wait for mutations of %s: %w", table, ctx.Err())
		case <-time.After(delay):
		}
	}
}

// revokeAllStored is how consent.RevokeAll fits the UInt32 column.
const revokeAllStored = math.MaxUint32

// Revoke stores a revocation, for every node to load.
func (r ConsentRecords) Revoke(ctx context.Context, rev consent.Revocation) error {
	below := uint64(revokeAllStored)
	if rev.BelowVersion < revokeAllStored {
		below = uint64(rev.BelowVersion)
	}
	err := r.Store.Insert(ctx, "consent_revocations", []string{"consent_id", "below_version", "time"},
		[][]any{{rev.ConsentID, below, rev.At.UTC()}})
	if err != nil {
		return fmt.Errorf("aggregator: store revocation: %w", err)
	}
	return nil
}

// RevocationsSince returns the revocations stored at or after t.
func (r ConsentRecords) RevocationsSince(ctx context.Context, t time.Time) ([]consent.Revocation, error) {
	rows, err := r.Store.Query(ctx, "SELECT consent_id, below_version, time FROM consent_revocations WHERE time >= ? ORDER BY time", t.UTC())
	if err != nil {
		return nil, fmt.Errorf("aggregator: load revocations: %w", err)
	}
	var out []consent.Revocation
	for rows.Next() {
		var rev consent.Revocation
		if err := rows.Scan(&rev.ConsentID, &rev.BelowVersion, &rev.At); err != nil {
			return nil, err
		}
		if rev.BelowVersion == revokeAllStored {
			rev.BelowVersion = consent.RevokeAll
		}
		out = append(out, rev)
	}
	return out, nil
}

// ConsentKeys keeps the keys that sign consent tokens when none are
// configured, so every node signs and verifies with the same keys.
type ConsentKeys struct{ Store store.Store }

// Load returns the stored keys that are not retired, oldest first.
func (k ConsentKeys) Load(ctx context.Context) ([]consent.Key, error) {
	rows, err := k.Store.Query(ctx, "SELECT kid, secret FROM consent_keys FINAL WHERE retired = 0 ORDER BY created_at, kid")
	if err != nil {
		return nil, fmt.Errorf("aggregator: load consent keys: %w", err)
	}
	var out []consent.Key
	for rows.Next() {
		var id, secret string
		if err := rows.Scan(&id, &secret); err != nil {
			return nil, err
		}
		keys, err := consent.ParseKeys(id + ":" + secret)
		if err != nil {
			return nil, fmt.Errorf("aggregator: stored consent key %s: %w", id, err)
		}
		out = append(out, keys...)
	}
	return out, nil
}

// Put stores a key.
func (k ConsentKeys) Put(ctx context.Context, key consent.Key) error {
	id, secret, _ := strings.Cut(key.Encode(), ":")
	err := k.Store.Insert(ctx, "consent_keys", []string{"kid", "secret", "created_at", "version", "retired"},
		[][]any{{id, secret, time.Now().UTC(), NewVersion(), 0}})
	if err != nil {
		return fmt.Errorf("aggregator: store consent key: %w", err)
	}
	return nil
}

// Keyring builds the consent token keys: the configured keys (the first
// signs) when there are any, else the keys kept in the store, the newest
// signing, generating and storing one on the very first start. Stored keys
// always verify too, so moving from stored to configured keys, or adding a
// key, logs nobody out. It also reports the IDs, to see a change.
func (k ConsentKeys) Keyring(ctx context.Context, configured []consent.Key) (*consent.Keyring, []string, error) {
	stored, err := k.Load(ctx)
	if err != nil {
		return nil, nil, err
	}
	if len(configured) == 0 && len(stored) == 0 {
		if err := k.Put(ctx, consent.GenerateKey()); err != nil {
			return nil, nil, err
		}
		// Another node starting at the same moment may have stored one
		// too; after a moment both see both and agree on the newest.
		time.Sleep(time.Second)
		if stored, err = k.Load(ctx); err != nil {
			return nil, nil, err
		}
	}
	var ordered []consent.Key
	if len(configured) > 0 {
		ordered = append(ordered, configured...)
	}
	for i := len(stored) - 1; i >= 0; i-- {
		ordered = append(ordered, stored[i])
	}
	seen := map[string]bool{}
	var keys []consent.Key
	var ids []string
	for _, key := range ordered {
		if !seen[key.ID] {
			seen[key.ID] = true
			keys = append(keys, key)
			ids = append(ids, key.ID)
		}
	}
	ring, err := consent.NewKeyring(keys[0], keys[1:]...)
	return ring, ids, err
}
