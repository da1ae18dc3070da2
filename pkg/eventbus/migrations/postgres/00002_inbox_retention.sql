-- +goose Up
-- The inbox is pruned by age per consumer (ConsumerConfig.InboxRetention).
CREATE INDEX eventbus_inbox_applied ON eventbus_inbox (consumer, applied_at);

-- +goose Down
DROP INDEX eventbus_inbox_applied;
