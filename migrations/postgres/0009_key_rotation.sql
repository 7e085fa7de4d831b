-- Key rotation (`confide keys rotate`). The key each staff member's envelopes are sealed to,
-- as the gateways last saw it in the signed keyring, and the key before it: a member may seal
-- envelopes again only while the keyring gives them a new key (a rotation is open), and each
-- envelope only once for that new key. So nobody can overwrite a shared envelope at will.
CREATE TABLE staff_keys (
    name                TEXT PRIMARY KEY NOT NULL,
    recipient           TEXT NOT NULL,       -- their age key in the signed keyring
    previous_recipient  TEXT                 -- the key before it; NULL: no rotation open
);

CREATE TABLE reseals (
    envelope_id  TEXT NOT NULL REFERENCES envelopes (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,              -- who sealed it again
    recipient    TEXT NOT NULL,              -- for which new key of theirs
    PRIMARY KEY (envelope_id, name, recipient)
);
