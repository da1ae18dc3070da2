package eventbus

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/segmentio/kafka-go"
)

// Lag is how many events a consumer has yet to apply, or that it cannot
// tell.
type Lag struct {
	// Events is how many events of the topic the consumer's group has not
	// committed, as last measured; 0 when not Known.
	Events int64
	// Known is false until the consumer has read the broker's high
	// watermark of every partition of its topic (and the group's committed
	// offsets), and false again from any broker failure the consumer meets
	// until it has read them anew: a figure measured before an outage is
	// never presented as current.
	Known bool
}

// KnownLag is a measured lag of n events.
func KnownLag(n int64) Lag { return Lag{Events: n, Known: true} }

// String renders the lag for logs: the number of events, or "unknown".
func (l Lag) String() string {
	if !l.Known {
		return "unknown"
	}
	return strconv.FormatInt(l.Events, 10)
}

// lagTimeout bounds one lag measurement, so a broker that stopped
// answering (frozen, partitioned) makes the lag unknown instead of leaving
// the last figure in place.
const lagTimeout = 5 * time.Second

// Lag returns the consumer's lag as last measured, or unknown: before the
// first measurement since Run started, after Run returned, and from any
// broker failure the consumer meets (a failed fetch, offset check, commit
// or group join, or a failed measurement) until the next measurement that
// begins after it succeeds.
func (c *Consumer) Lag() Lag {
	c.lagMu.Lock()
	defer c.lagMu.Unlock()
	return c.lag
}

// lagUnknown forgets the lag: the consumer met a broker failure (or
// stopped) and cannot tell how far behind it is until it has read the
// high watermarks again. A measurement that began before is discarded.
func (c *Consumer) lagUnknown() {
	c.lagMu.Lock()
	defer c.lagMu.Unlock()
	c.lagEpoch++
	if c.lag.Known {
		c.lag = Lag{}
		// Absent, not a stale figure: a scrape must not read the last
		// measurement as current either.
		c.metrics.ConsumerLag.Delete(c.labels)
	}
}

// lagMeasurement returns the epoch a measurement about to begin belongs to.
func (c *Consumer) lagMeasurement() uint64 {
	c.lagMu.Lock()
	defer c.lagMu.Unlock()
	return c.lagEpoch
}

// setLag records the result of a measurement that began in epoch, unless a
// failure was met since it began.
func (c *Consumer) setLag(epoch uint64, n int64) {
	c.lagMu.Lock()
	defer c.lagMu.Unlock()
	if epoch != c.lagEpoch {
		return
	}
	c.lag = KnownLag(n)
	c.metrics.ConsumerLag.With(c.labels).Set(float64(n))
}

// watchLag measures the group's lag at once and then every LagInterval
// (or, in tests, on every lagTrigger, closing the channel received once
// the measurement is recorded) until ctx ends.
func (c *Consumer) watchLag(ctx context.Context) {
	var tick <-chan time.Time
	if c.lagTrigger == nil {
		t := time.NewTicker(c.cfg.LagInterval)
		defer t.Stop()
		tick = t.C
	}
	var measured chan struct{}
	for {
		epoch := c.lagMeasurement()
		mctx, cancel := context.WithTimeout(ctx, lagTimeout)
		cli, release := adminClient(c.cfg.Brokers, c.cfg.Transport, c.cfg.Topic)
		lag, err := c.measureLag(mctx, cli)
		release()
		cancel()
		switch {
		case err == nil:
			c.setLag(epoch, lag)
		case ctx.Err() == nil:
			c.log.DebugContext(ctx, "lag unknown", "err", err)
			c.lagUnknown()
		}
		if measured != nil {
			close(measured)
			measured = nil
		}
		select {
		case <-ctx.Done():
			return
		case <-tick:
		case measured = <-c.lagTrigger:
		}
	}
}

// partitionOffsets is what a lag measurement read of one partition: its
// log's first offset and end (high watermark), and the group's committed
// offset (negative when none).
type partitionOffsets struct {
	partition  int
	first, end int64
	committed  int64
}

// lagSnapshot is what one lag measurement read.
type lagSnapshot struct {
	// topicExists is false when the broker has no such topic.
	topicExists bool
	// consumedBefore is true when the consumer's database holds a position
	// on the topic: it has read events of it before.
	consumedBefore bool
	partitions     []partitionOffsets
}

// Reasons a lag cannot be told although the broker answered.
var (
	errTopicGone       = errors.New("the topic is gone although this consumer read it before (the broker lost it)")
	errCommittedPast   = errors.New("the group committed past the partition's end (the broker lost events)")
	errNoPartitionInfo = errors.New("the broker reported the topic without partitions")
)

// lagOf computes the lag from what a measurement read: per partition, the
// end minus the group's committed offset (the log start when nothing is
// committed or when retention removed events past it). A topic the broker
// does not have is 0 behind only if the consumer never read it (nothing
// published yet); one it read before was lost by the broker and will be
// refilled, so the lag is unknown. So is a committed offset past the end:
// the log was truncated and the consumer will re-read it.
func lagOf(s lagSnapshot) (int64, error) {
	if !s.topicExists {
		if s.consumedBefore {
			return 0, errTopicGone
		}
		return 0, nil
	}
	if len(s.partitions) == 0 {
		return 0, errNoPartitionInfo
	}
	var lag int64
	for _, p := range s.partitions {
		from := p.first
		if p.committed >= 0 {
			if p.committed > p.end {
				return 0, fmt.Errorf("partition %d: committed %d, end %d: %w", p.partition, p.committed, p.end, errCommittedPast)
			}
			from = max(p.committed, p.first)
		}
		lag += p.end - from
	}
	return lag, nil
}

// measureLag reads the topic's partitions, their offsets and the group's
// committed offsets, and computes the lag (lagOf).
func (c *Consumer) measureLag(ctx context.Context, cli *kafka.Client) (int64, error) {
	topic := c.cfg.Topic
	md, err := cli.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return 0, err
	}
	var s lagSnapshot
	var parts []int
	for _, t := range md.Topics {
		if t.Name != topic {
			continue
		}
		switch {
		case errors.Is(t.Error, kafka.UnknownTopicOrPartition):
			continue
		case t.Error != nil:
			return 0, t.Error
		}
		s.topicExists = true
		for _, p := range t.Partitions {
			parts = append(parts, p.ID)
		}
	}
	if !s.topicExists {
		if s.consumedBefore, err = c.hasPositions(ctx); err != nil {
			return 0, err
		}
		return lagOf(s)
	}
	if len(parts) == 0 {
		return lagOf(s)
	}
	req := &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{}}
	for _, p := range parts {
		req.Topics[topic] = append(req.Topics[topic], kafka.FirstOffsetOf(p), kafka.LastOffsetOf(p))
	}
	lo, err := cli.ListOffsets(ctx, req)
	if err != nil {
		return 0, err
	}
	of, err := cli.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: c.cfg.GroupID, Topics: map[string][]int{topic: parts}})
	if err != nil {
		return 0, err
	}
	if of.Error != nil {
		return 0, of.Error
	}
	committed := map[int]int64{}
	for _, p := range of.Topics[topic] {
		if p.Error != nil {
			return 0, p.Error
		}
		committed[p.Partition] = p.CommittedOffset
	}
	seen := map[int]bool{}
	for _, po := range lo.Topics[topic] {
		if po.Error != nil {
			return 0, po.Error
		}
		off, ok := committed[po.Partition]
		if !ok {
			off = -1
		}
		s.partitions = append(s.partitions, partitionOffsets{partition: po.Partition, first: po.FirstOffset,
			end: po.LastOffset, committed: off})
		seen[po.Partition] = true
	}
	for _, p := range parts {
		if !seen[p] {
			// Every partition's high watermark, or no figure at all.
			return 0, fmt.Errorf("no offsets for partition %d", p)
		}
	}
	return lagOf(s)
}

// hasPositions reports whether the consumer's database holds a position on
// its topic.
func (c *Consumer) hasPositions(ctx context.Context) (bool, error) {
	db := c.cfg.DB
	var n int
	err := db.QueryRowContext(ctx, db.Rebind(`SELECT count(*) FROM eventbus_consumer_position
		WHERE consumer = ? AND topic = ?`), c.cfg.Name, c.cfg.Topic).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("eventbus: read consumer positions: %w", err)
	}
	return n > 0, nil
}
