-- What resolution 78/331 asks to be tracked: the classification the UN counts by, Member State
-- notifications and national action, and victim assistance. Coded facts only: every narrative
-- (what was shared with a Member State, notes on assistance) is in sealed envelopes.
-- Staff actions keep exact times (UTC, RFC 3339); assistance dates, which the reporter's own
-- answers can set, are kept to the day.

-- How staff classified a case, for the UN's figures. Recorded by intake or investigators.
CREATE TABLE classifications (
    case_id        TEXT PRIMARY KEY NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    allegation     TEXT NOT NULL,      -- a code of allegation::AllegationType
    adults         INTEGER NOT NULL,   -- victims by age group
    children       INTEGER NOT NULL,
    unknown_age    INTEGER NOT NULL,
    classified_at  TEXT NOT NULL
) STRICT, WITHOUT ROWID;

-- Who is implicated: one row per personnel category and Member State ('' when none is known).
CREATE TABLE implicated (
    case_id       TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    category      TEXT NOT NULL,       -- a code of allegation::PersonnelCategory
    member_state  TEXT NOT NULL,       -- ISO 3166-1 alpha-3, or ''
    PRIMARY KEY (case_id, category, member_state)
) STRICT, WITHOUT ROWID;

-- One notification per case and Member State; what it says is the sealed envelope.
CREATE TABLE notifications (
    id               TEXT PRIMARY KEY NOT NULL,   -- 128 random bits, hex
    case_id          TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    member_state     TEXT NOT NULL,
    identity_shared  INTEGER NOT NULL,            -- 1 only with the victim's recorded consent
    envelope_id      TEXT NOT NULL,
    notified_at      TEXT NOT NULL,
    acknowledged_at  TEXT,
    UNIQUE (case_id, member_state)
) STRICT, WITHOUT ROWID;

CREATE INDEX notifications_by_member_state ON notifications (member_state);

-- National action a Member State reported; details, if any, in a sealed envelope.
CREATE TABLE national_actions (
    id               TEXT PRIMARY KEY NOT NULL,
    notification_id  TEXT NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    action           TEXT NOT NULL,               -- a code of notification::NationalAction
    envelope_id      TEXT,
    recorded_at      TEXT NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX national_actions_by_notification ON national_actions (notification_id);

-- The victim's consents: the latest answer for each purpose and audience (history: audit chain).
CREATE TABLE consents (
    case_id      TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    purpose      TEXT NOT NULL,                   -- a code of assistance::ConsentPurpose
    audience     TEXT NOT NULL,                   -- a code of assistance::Audience
    given        INTEGER NOT NULL,
    recorded_on  TEXT NOT NULL,
    PRIMARY KEY (case_id, purpose, audience)
) STRICT, WITHOUT ROWID;

-- Referrals to services, with the day of each step.
CREATE TABLE referrals (
    id              TEXT PRIMARY KEY NOT NULL,
    case_id         TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    service         TEXT NOT NULL,                -- a code of assistance::Service
    provider        TEXT NOT NULL,                -- the organisation's code for the provider
    state           TEXT NOT NULL,                -- a code of assistance::ReferralState
    referred_on     TEXT NOT NULL,
    answered_on     TEXT,
    delivered_on    TEXT,
    followed_up_on  TEXT,
    closed_on       TEXT
) STRICT, WITHOUT ROWID;

CREATE INDEX referrals_by_case ON referrals (case_id);
