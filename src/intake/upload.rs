//! Streaming uploads: a file is sealed as it arrives and written to the store in 1 MiB pieces,
//! so a 100 MiB upload costs the server a few MiB of memory, not 100.
//!
//! The network side (async) hands chunks over a small bounded channel to a sealing thread on the
//! blocking pool, which feeds age's streaming encryptor; the encryptor's output goes to a sink
//! that stores each full piece. Backpressure runs all the way back to the client's connection.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use zeroize::Zeroize;

use super::{IntakeError, Recipients};
use crate::cases::EnvelopeKind;
use crate::seal::StreamSealer;
use crate::store::{CHUNK_BYTES, EnvelopeBody, NewEnvelope, Store, random_id};

/// Where the bytes of an upload come from (a multipart field, a request body).
pub trait ChunkSource {
    /// The next piece, `Ok(None)` at the end, `Err` if the client's stream broke.
    fn next_chunk(
        &mut self,
    ) -> impl std::future::Future<Output = Result<Option<Bytes>, IntakeError>> + Send;
}

/// Plaintext pieces waiting for the sealing thread.
const QUEUE: usize = 4;

pub async fn seal_upload(
    store: &Store,
    recipients: &Recipients,
    file_name: &str,
    media_type: &str,
    source: &mut impl ChunkSource,
    max_bytes: u64,
) -> Result<NewEnvelope, IntakeError> {
    let id = random_id();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Bytes>(QUEUE);
    let complete = Arc::new(AtomicBool::new(false));
    let sealer = {
        let keys = recipients.keys.clone();
        let sink = ChunkSink::new(store.clone(), id.clone());
        let complete = complete.clone();
        let (name, media_type) = (bounded(file_name), bounded(media_type));
        tokio::task::spawn_blocking(move || -> Result<(u32, u64), IntakeError> {
            let mut sealer = StreamSealer::new(&keys, sink)?;
            while let Some(piece) = rx.blocking_recv() {
                sealer
                    .write(&piece)
                    .map_err(|_| IntakeError::UploadInterrupted)?;
                // The piece held plaintext: wipe it if nothing else holds it.
                if let Ok(mut owned) = piece.try_into_mut() {
                    owned.as_mut().zeroize();
                }
            }
            if !complete.load(Ordering::Acquire) {
                return Err(IntakeError::UploadInterrupted);
            }
            let sink = sealer
                .finish(&name, &media_type)
                .map_err(|_| IntakeError::UploadInterrupted)?;
            sink.close().map_err(|_| IntakeError::UploadInterrupted)
        })
    };

    let fed = feed(source, &tx, max_bytes).await;
    if fed.is_ok() {
        complete.store(true, Ordering::Release);
    }
    drop(tx);
    let sealed = sealer.await.map_err(|_| IntakeError::ShuttingDown);
    // The feeding side's error comes first: it says why the stream stopped.
    let result = match (fed, sealed) {
        (Err(e), _) | (Ok(()), Err(e)) => Err(e),
        (Ok(()), Ok(result)) => result,
    };
    match result {
        Ok((chunks, size)) => Ok(NewEnvelope {
            id,
            kind: EnvelopeKind::Attachment,
            body: EnvelopeBody::Chunked { chunks, size },
            recipients: recipients.names.clone(),
        }),
        Err(e) => {
            // Whatever was stored of the upload goes.
            let _ = store.delete_chunks(&id).await;
            Err(e)
        }
    }
}

async fn feed(
    source: &mut impl ChunkSource,
    tx: &tokio::sync::mpsc::Sender<Bytes>,
    max_bytes: u64,
) -> Result<(), IntakeError> {
    let mut total = 0u64;
    while let Some(piece) = source.next_chunk().await? {
        total += piece.len() as u64;
        if total > max_bytes {
            return Err(IntakeError::FileTooLarge(max_bytes));
        }
        tx.send(piece)
            .await
            .map_err(|_| IntakeError::UploadInterrupted)?;
    }
    Ok(())
}

/// File names and media types come from the client: keep them short and printable.
fn bounded(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(200).collect()
}

/// Collects sealed bytes and stores each full piece. Runs on a blocking thread, so it may wait
/// for the store with `block_on`.
struct ChunkSink {
    store: Store,
    runtime: tokio::runtime::Handle,
    id: String,
    buffer: Vec<u8>,
    seq: u32,
    size: u64,
}

impl ChunkSink {
    fn new(store: Store, id: String) -> ChunkSink {
        ChunkSink {
            store,
            runtime: tokio::runtime::Handle::current(),
            id,
            buffer: Vec::with_capacity(CHUNK_BYTES),
            seq: 0,
            size: 0,
        }
    }

    fn put(&mut self, piece: &[u8]) -> std::io::Result<()> {
        self.runtime
            .block_on(self.store.put_chunk(&self.id, self.seq, piece))
            .map_err(std::io::Error::other)?;
        self.seq += 1;
        self.size += piece.len() as u64;
        Ok(())
    }

    /// Stores what is left; returns the number of pieces and the envelope's size.
    fn close(mut self) -> std::io::Result<(u32, u64)> {
        if !self.buffer.is_empty() {
            let rest = std::mem::take(&mut self.buffer);
            self.put(&rest)?;
        }
        Ok((self.seq, self.size))
    }
}

impl Write for ChunkSink {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let room = CHUNK_BYTES - self.buffer.len();
        let taken = data.len().min(room);
        self.buffer.extend_from_slice(&data[..taken]);
        if self.buffer.len() == CHUNK_BYTES {
            let full = std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK_BYTES));
            self.put(&full)?;
        }
        Ok(taken)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
