-- +goose Up
-- Events a consumer could not apply yet because it does not know their
-- type or schema version (a producer upgraded before it), and the later
-- events of the same aggregates, held back behind them so per-aggregate
-- order holds. The consumer's position moves past them; it applies them
-- in order when it starts again (after an upgrade) and deletes each it
-- applied. message is the Kafka value as read (the Envelope), so the
-- payload's unknown fields are kept.
CREATE TABLE eventbus_parked (
    consumer       TEXT    NOT NULL,
    topic          TEXT    NOT NULL,
    partition      BIGINT  NOT NULL,
    kafka_offset   BIGINT  NOT NULL,
    aggregate_id   TEXT    NOT NULL,
    event_id       TEXT    NOT NULL,
    event_type     TEXT    NOT NULL,
    schema_version BIGINT  NOT NULL,
    reason         TEXT    NOT NULL,
    message_key    BYTEA,
    message        BYTEA   NOT NULL,
    headers        TEXT    NOT NULL,
    message_time   TEXT    NOT NULL,
    parked_at      TEXT    NOT NULL,
    PRIMARY KEY (consumer, topic, partition, kafka_offset)
);
CREATE INDEX eventbus_parked_aggregate ON eventbus_parked (consumer, topic, aggregate_id);

-- +goose Down
DROP TABLE eventbus_parked;
