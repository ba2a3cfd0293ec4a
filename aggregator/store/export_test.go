package store

import "context"

// DecodeRowBinary is decodeRowBinary, for the tests.
var DecodeRowBinary = decodeRowBinary

// QueryJSON runs query on an embedded store as Query did before results
// came in binary: as JSONCompact.
func QueryJSON(ctx context.Context, s Store, query string) (*Rows, error) {
	out, err := s.(*embedded).run(ctx, query, "JSONCompact")
	if err != nil {
		return nil, err
	}
	return decodeJSONCompact(out)
}
