package sqlite

import (
	"context"
	"database/sql"
)

// ExecForTest runs raw SQL on the writer connection; tests use it to prove
// what the schema refuses.
func (s *Store) ExecForTest(ctx context.Context, q string) (sql.Result, error) {
	return s.w.ExecContext(ctx, q)
}
