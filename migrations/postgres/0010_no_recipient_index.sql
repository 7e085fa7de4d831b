-- Envelopes sealed to one staff member are looked up only by `confide keys revoke` and by a
-- member's own key rotation, rare steps that can read the whole table. The index on recipient
-- cost every new envelope one more B-tree page written (about a tenth of a new case's writes),
-- so it goes.
DROP INDEX envelope_recipients_by_recipient;
