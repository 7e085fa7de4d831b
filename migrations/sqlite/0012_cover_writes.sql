-- One row rewritten with random bytes at random moments (`Store::cover_write`), so that the
-- times of the database's files tell the last of these writes rather than the last report.
CREATE TABLE cover (id INTEGER PRIMARY KEY, noise BLOB NOT NULL);
INSERT INTO cover (id, noise) VALUES (1, X'');
