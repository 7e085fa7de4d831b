//! Reading `multipart/form-data` bodies (forms with files) within bounds.
//!
//! Text fields are read into wiped buffers with a byte limit each; file fields are handed to
//! intake as a stream, never held whole.

use axum::body::Bytes;
use axum::extract::multipart::{Field, Multipart, MultipartError};
use zeroize::{Zeroize, Zeroizing};

use super::error::Problem;
use crate::intake::{ChunkSource, IntakeError};

/// A file field as a stream of chunks.
pub struct FieldSource<'a>(pub Field<'a>);

impl ChunkSource for FieldSource<'_> {
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, IntakeError> {
        self.0
            .chunk()
            .await
            .map_err(|_| IntakeError::UploadInterrupted)
    }
}

/// The next field, or a clear error for a broken body.
pub async fn next_field(multipart: &mut Multipart) -> Result<Option<Field<'_>>, Problem> {
    multipart.next_field().await.map_err(broken)
}

/// Reads a text field of at most `max_bytes` bytes as UTF-8, in a buffer that is wiped.
pub async fn read_text(mut field: Field<'_>, max_bytes: usize) -> Result<String, Problem> {
    let mut buffer = Zeroizing::new(Vec::new());
    while let Some(piece) = field.chunk().await.map_err(broken)? {
        if buffer.len() + piece.len() > max_bytes {
            return Err(Problem::bad_request("A field of the form is too long."));
        }
        if buffer.capacity() - buffer.len() < piece.len() {
            let mut bigger = Zeroizing::new(Vec::with_capacity(
                (buffer.len() + piece.len()).max(2 * buffer.capacity()),
            ));
            bigger.extend_from_slice(&buffer);
            buffer = bigger;
        }
        buffer.extend_from_slice(&piece);
        if let Ok(mut owned) = piece.try_into_mut() {
            owned.as_mut().zeroize();
        }
    }
    String::from_utf8(std::mem::take(&mut *buffer)).map_err(|e| {
        e.into_bytes().zeroize();
        Problem::bad_request(
            "The form is not valid: its text is not UTF-8. Please send it again from the page.",
        )
    })
}

/// The file name and media type the client gave, if a file was chosen at all.
pub fn chosen_file(field: &Field<'_>) -> Option<(String, String)> {
    let name = field.file_name()?;
    if name.is_empty() {
        // A file input left empty still sends a part, with no name and no content.
        return None;
    }
    Some((
        name.to_string(),
        field
            .content_type()
            .unwrap_or("application/octet-stream")
            .to_string(),
    ))
}

fn broken(e: MultipartError) -> Problem {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        Problem::too_large()
    } else {
        Problem::bad_request("The form could not be read completely. Please send it again.")
    }
}
