//! Streaming uploads: a file is sealed as it arrives and written to the store in 256 KiB pieces,
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
use crate::seal;
use crate::seal::StreamSealer;
use crate::store::{
    CHUNK_BYTES, Day, EnvelopeBody, NewEnvelope, Store, StoreError, Upload, random_id,
};

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
    today: Day,
) -> Result<NewEnvelope, IntakeError> {
    let pending = Pending::new(store);
    let id = pending.id.clone();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Bytes>(QUEUE);
    let complete = Arc::new(AtomicBool::new(false));
    let sealer = {
        let keys = recipients.keys.clone();
        let sink = ChunkSink::new(store.clone(), id.clone(), today);
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
    let (chunks, size) = result?;
    Ok(NewEnvelope {
        id: pending.keep(),
        kind: EnvelopeKind::Attachment,
        body: EnvelopeBody::Chunked { chunks, size },
        recipients: recipients.names.clone(),
    })
}

/// The pieces of an upload being stored. Unless the upload finishes, they are removed when this
/// is dropped: on an error, and also when the request is cancelled (a timeout, a client gone).
/// Whatever escapes (a piece written after the removal) is swept a day later.
struct Pending {
    store: Store,
    id: String,
    kept: bool,
}

impl Pending {
    fn new(store: &Store) -> Pending {
        Pending {
            store: store.clone(),
            id: random_id(),
            kept: false,
        }
    }

    fn keep(mut self) -> String {
        self.kept = true;
        std::mem::take(&mut self.id)
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if self.kept {
            return;
        }
        let (store, id) = (self.store.clone(), std::mem::take(&mut self.id));
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(e) = store.delete_chunks(&id).await {
                    tracing::error!(error = %e, "removing an unfinished upload failed");
                }
            });
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

/// Stores a stream of sealed bytes as pieces of [`CHUNK_BYTES`].
struct ChunkWriter {
    store: Store,
    id: String,
    today: Day,
    buffer: Vec<u8>,
    seq: u32,
    size: u64,
}

impl ChunkWriter {
    fn new(store: Store, id: String, today: Day) -> ChunkWriter {
        ChunkWriter {
            store,
            id,
            today,
            buffer: Vec::with_capacity(CHUNK_BYTES),
            seq: 0,
            size: 0,
        }
    }

    async fn write(&mut self, mut data: &[u8]) -> Result<(), StoreError> {
        while !data.is_empty() {
            let taken = data.len().min(CHUNK_BYTES - self.buffer.len());
            self.buffer.extend_from_slice(&data[..taken]);
            data = &data[taken..];
            if self.buffer.len() == CHUNK_BYTES {
                self.put().await?;
            }
        }
        Ok(())
    }

    async fn put(&mut self) -> Result<(), StoreError> {
        self.store
            .put_chunk(&self.id, self.seq, &self.buffer, self.today)
            .await?;
        self.seq += 1;
        self.size += self.buffer.len() as u64;
        self.buffer.clear();
        Ok(())
    }

    /// Stores what is left; returns the number of pieces and the total size.
    async fn close(mut self) -> Result<(u32, u64), StoreError> {
        if !self.buffer.is_empty() {
            self.put().await?;
        }
        Ok((self.seq, self.size))
    }
}

/// The chunk writer as a blocking `Write`, for age's encryptor on a blocking thread.
struct ChunkSink {
    writer: ChunkWriter,
    runtime: tokio::runtime::Handle,
}

impl ChunkSink {
    fn new(store: Store, id: String, today: Day) -> ChunkSink {
        ChunkSink {
            writer: ChunkWriter::new(store, id, today),
            runtime: tokio::runtime::Handle::current(),
        }
    }

    fn close(self) -> std::io::Result<(u32, u64)> {
        self.runtime
            .block_on(self.writer.close())
            .map_err(std::io::Error::other)
    }
}

impl Write for ChunkSink {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.runtime
            .block_on(self.writer.write(data))
            .map_err(std::io::Error::other)?;
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Receives a file the client sealed itself, streaming it into the store. Its age header is
/// checked as soon as it has arrived, its padding once the length is known. Returns the
/// finished upload, to be claimed by a report or message.
pub async fn receive_sealed(
    store: &Store,
    source: &mut impl ChunkSource,
    max_bytes: u64,
    today: Day,
) -> Result<Upload, IntakeError> {
    let pending = Pending::new(store);
    let id = pending.id.clone();
    let result = async {
        let mut writer = ChunkWriter::new(store.clone(), id.clone(), today);
        let mut head = Vec::new();
        let mut header = None;
        let mut total = 0u64;
        while let Some(piece) = source.next_chunk().await? {
            total += piece.len() as u64;
            if total > max_bytes {
                return Err(IntakeError::FileTooLarge(max_bytes));
            }
            if header.is_none() {
                head.extend_from_slice(&piece[..piece.len().min(seal::MAX_HEADER_BYTES)]);
                if head.len() >= seal::MAX_HEADER_BYTES {
                    header = Some(seal::parse_header(&head)?);
                }
            }
            writer.write(&piece).await?;
        }
        let header = match header {
            Some(header) => header,
            None => seal::parse_header(&head)?,
        };
        seal::check_padding(usize::try_from(total).unwrap_or(usize::MAX) - header.len)?;
        let (chunks, size) = writer.close().await?;
        let upload = Upload {
            id: id.clone(),
            stanzas: u32::try_from(header.x25519_stanzas).unwrap_or(u32::MAX),
            chunks,
            size,
        };
        store.finish_upload(&upload, today).await?;
        Ok(upload)
    }
    .await;
    if result.is_ok() {
        pending.keep();
    }
    result
}
