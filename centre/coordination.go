package centre

import (
	"context"
	"time"

	"truce/hotline"
	"truce/movement"
)

// coordinationStore is what the centre reads of the hotline and the
// movement register.
type coordinationStore interface {
	Thread(ctx context.Context, id string) (*hotline.Thread, error)
	// Threads lists the threads with party, or all when party is "".
	Threads(ctx context.Context, party string) ([]*hotline.Thread, error)
	Restriction(ctx context.Context, id string) (*movement.Restriction, error)
	Restrictions(ctx context.Context) ([]*movement.Restriction, error)
}

// Now is the centre's clock: the time it puts on the statements it signs,
// checks client-signed statements against, and judges deadlines by
// (Options.Now sets it).
func (c *Centre) Now() time.Time { return c.now() }
