-- Staff members revoked since the keyring was last signed (`confide keys revoke`). Every gateway
-- on this database refuses their certificate at their next request and stops sealing to their
-- key; the revocation stays until the signed keyring no longer names them.
CREATE TABLE revocations (
    certificate_sha256  BLOB PRIMARY KEY NOT NULL,
    recipient           TEXT NOT NULL,       -- their age public key
    name                TEXT NOT NULL,       -- their keyring name
    revoked_at          TEXT NOT NULL        -- UTC, RFC 3339 (a staff action)
) STRICT, WITHOUT ROWID;
