-- The day each stored piece was written, so that pieces of uploads that never completed (a
-- client gone, a request cut off) are swept a day later while the gateway runs.
ALTER TABLE envelope_chunks ADD COLUMN created_on TEXT NOT NULL DEFAULT '0000-00-00';
-- (Pieces are at most 256 KiB: src/store/mod.rs CHUNK_BYTES, 256 KiB; the comment in 0002 saying 1 MiB predates it.)
