-- Door-to-door visits (乡镇点单): ordered by a township, from an outbreak alert, from a
-- question that needs a field visit, or by a recurring plan; approved with a date and
-- experts by the county admins.
CREATE TABLE visits (
    id             bigserial PRIMARY KEY,
    county_id      text NOT NULL REFERENCES counties (id),
    township       text NOT NULL,
    topic          text NOT NULL,
    crops          text NOT NULL DEFAULT '',
    problem        text NOT NULL DEFAULT '',
    households     int NOT NULL DEFAULT 0,
    place          text NOT NULL DEFAULT '',
    preferred      text NOT NULL DEFAULT '',
    status         text NOT NULL DEFAULT 'ordered'
        CHECK (status IN ('ordered', 'approved', 'proposed', 'declined', 'done', 'cancelled')),
    source         text NOT NULL CHECK (source IN ('order', 'alert', 'question', 'plan')),
    ordered_by     bigint NOT NULL,
    ordered_at     timestamptz NOT NULL,
    -- The township group to keep told, if the order came from one.
    chat_id        bigint NOT NULL DEFAULT 0,
    question_id    bigint REFERENCES questions (id),
    alert_id       bigint REFERENCES outbreak_alerts (id),
    scheduled_at   timestamptz,
    decided_by     bigint,
    decided_at     timestamptz,
    decline_reason text NOT NULL DEFAULT ''
);
CREATE INDEX visits_county ON visits (county_id, status, scheduled_at);
CREATE UNIQUE INDEX visits_alert ON visits (alert_id) WHERE alert_id IS NOT NULL;

CREATE TABLE visit_experts (
    visit_id  bigint NOT NULL REFERENCES visits (id),
    user_id   bigint NOT NULL,
    PRIMARY KEY (visit_id, user_id)
);
