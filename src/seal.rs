//! Envelopes: padding, sealing with age, and the checks made on envelopes sealed by clients.
//!
//! Every envelope is a plain age v1 file (binary), sealed to X25519 recipients, which the
//! standard `age -d -i identity.txt` opens. Plaintexts are padded with trailing spaces to a size
//! bucket (powers of two, at least [`MIN_BUCKET`]) before sealing, so the length of a stored
//! envelope tells only the bucket, not the length of the text. The documents inside are JSON, so
//! the trailing spaces are harmless to every reader.
//!
//! The server cannot tell *which* keys a client sealed to: age hides recipients by design. What
//! it checks is everything that can be checked from outside: a well-formed age header, only
//! X25519 stanzas (plus age's own harmless "grease" stanzas), as many of them as the entity has
//! intake recipients, and a payload whose length is exactly one of the padding buckets.

use std::io::Write;

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use zeroize::Zeroizing;

/// Smallest padding bucket: most reports are shorter, so most envelopes look the same.
pub const MIN_BUCKET: usize = 4096;
/// age encrypts in chunks of this many plaintext bytes, each followed by a 16-byte tag.
const CHUNK: usize = 64 * 1024;
const TAG: usize = 16;
const NONCE: usize = 16;
/// Upper bound on an age header we accept from a client.
const MAX_HEADER: usize = 8 * 1024;
/// Upper bound on the recipient stanzas in a client's header.
const MAX_STANZAS: usize = 32;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    #[error("the envelope is not an age v1 file: {0}")]
    Malformed(&'static str),
    #[error("the envelope may only use X25519 recipients")]
    RecipientType,
    #[error("the envelope is sealed to {found} recipients; this entity has {expected}")]
    RecipientCount { expected: usize, found: usize },
    #[error("the envelope's plaintext is not padded to a size bucket (see SECURITY.md)")]
    Padding,
    #[error("no recipients to seal to")]
    NoRecipients,
    #[error("this envelope is not sealed to your key")]
    NotForThisKey,
    #[error("the envelope could not be opened: {0}")]
    Open(String),
}

/// The size a plaintext of `len` bytes is padded to.
pub fn bucket(len: usize) -> usize {
    len.max(MIN_BUCKET).next_power_of_two()
}

/// Pads a plaintext in place to its bucket with trailing spaces.
pub fn pad(plaintext: &mut Zeroizing<Vec<u8>>) {
    let target = bucket(plaintext.len());
    // Reserve exactly once so that no unwiped copy of the plaintext is left behind by a
    // reallocation.
    if plaintext.capacity() < target {
        let mut bigger = Zeroizing::new(Vec::with_capacity(target));
        bigger.extend_from_slice(plaintext);
        *plaintext = bigger;
    }
    plaintext.resize(target, b' ');
}

/// Pads and seals a plaintext to the given recipients. The plaintext is wiped when dropped.
pub fn seal(
    mut plaintext: Zeroizing<Vec<u8>>,
    recipients: &[age::x25519::Recipient],
) -> Result<Vec<u8>, SealError> {
    if recipients.is_empty() {
        return Err(SealError::NoRecipients);
    }
    pad(&mut plaintext);
    let encryptor =
        age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient))
            .map_err(|_| SealError::NoRecipients)?;
    let mut out = Vec::with_capacity(plaintext.len() + 1024);
    let mut writer = encryptor
        .wrap_output(&mut out)
        .expect("writing to memory cannot fail");
    writer
        .write_all(&plaintext)
        .expect("writing to memory cannot fail");
    writer.finish().expect("writing to memory cannot fail");
    Ok(out)
}

/// Opens an envelope with an age identity. The result is wiped when dropped; the padding is
/// left in place (it is trailing whitespace).
pub fn open(
    envelope: &[u8],
    identity: &dyn age::Identity,
) -> Result<Zeroizing<Vec<u8>>, SealError> {
    let decryptor = age::Decryptor::new(envelope).map_err(|e| SealError::Open(e.to_string()))?;
    let mut reader = decryptor
        .decrypt(std::iter::once(identity))
        .map_err(|e| match e {
            age::DecryptError::NoMatchingKeys => SealError::NotForThisKey,
            other => SealError::Open(other.to_string()),
        })?;
    let mut out = Zeroizing::new(Vec::new());
    std::io::Read::read_to_end(&mut reader, &mut out)
        .map_err(|e| SealError::Open(e.to_string()))?;
    Ok(out)
}

/// The end of an attachment's plaintext: `content ‖ zero padding ‖ metadata JSON ‖ metadata
/// length (8 bytes, big endian) ‖ ATTACHMENT_MAGIC`. The content comes first so that
/// `age -d` gives a file most viewers open as it is (they ignore trailing bytes); the metadata
/// comes last because a stream's length is known only at its end.
pub const ATTACHMENT_MAGIC: &[u8; 8] = b"CNFDATT1";

/// What the staff member is told about an attached file.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AttachmentMeta {
    /// The file name the reporter's device gave, if any.
    pub name: String,
    /// The media type the reporter's device gave, if any.
    pub media_type: String,
    /// Length of the content in bytes.
    pub size: u64,
}

/// Seals a stream of bytes of unknown length into a padded attachment envelope, writing the
/// sealed bytes to `sink` as they are produced: memory stays bounded by age's 64 KiB chunk.
pub struct StreamSealer<W: Write> {
    writer: age::stream::StreamWriter<W>,
    written: u64,
}

impl<W: Write> StreamSealer<W> {
    pub fn new(recipients: &[age::x25519::Recipient], sink: W) -> Result<Self, SealError> {
        if recipients.is_empty() {
            return Err(SealError::NoRecipients);
        }
        let encryptor =
            age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient))
                .map_err(|_| SealError::NoRecipients)?;
        let writer = encryptor
            .wrap_output(sink)
            .map_err(|e| SealError::Open(e.to_string()))?;
        Ok(StreamSealer { writer, written: 0 })
    }

    pub fn write(&mut self, data: &[u8]) -> std::io::Result<()> {
        self.writer.write_all(data)?;
        self.written += data.len() as u64;
        Ok(())
    }

    /// Pads, appends the metadata, and finishes the age stream. Returns the sink.
    pub fn finish(mut self, name: &str, media_type: &str) -> std::io::Result<W> {
        let meta = AttachmentMeta {
            name: name.to_string(),
            media_type: media_type.to_string(),
            size: self.written,
        };
        let meta = serde_json::to_vec(&meta).expect("metadata serialises");
        let tail = meta.len() as u64 + 8 + ATTACHMENT_MAGIC.len() as u64;
        let total = self.written + tail;
        let padding = bucket(usize::try_from(total).unwrap_or(usize::MAX)) as u64 - total;
        let zeros = [0u8; 4096];
        let mut left = padding;
        while left > 0 {
            let n = left.min(zeros.len() as u64) as usize;
            self.writer.write_all(&zeros[..n])?;
            left -= n as u64;
        }
        self.writer.write_all(&meta)?;
        self.writer.write_all(&(meta.len() as u64).to_be_bytes())?;
        self.writer.write_all(ATTACHMENT_MAGIC)?;
        self.writer.finish()
    }
}

/// Splits an opened attachment into its metadata and content; `None` if it is not one.
pub fn parse_attachment(plaintext: &[u8]) -> Option<(AttachmentMeta, &[u8])> {
    let rest = plaintext.strip_suffix(&ATTACHMENT_MAGIC[..])?;
    let (rest, len) = rest.split_at_checked(rest.len().checked_sub(8)?)?;
    let len = usize::try_from(u64::from_be_bytes(len.try_into().ok()?)).ok()?;
    let (rest, meta) = rest.split_at_checked(rest.len().checked_sub(len)?)?;
    let meta: AttachmentMeta = serde_json::from_slice(meta).ok()?;
    let content = rest.get(..usize::try_from(meta.size).ok()?)?;
    Some((meta, content))
}

/// What can be seen of an envelope from outside.
#[derive(Debug, PartialEq, Eq)]
pub struct Shape {
    pub x25519_stanzas: usize,
    pub plaintext_len: usize,
}

/// Checks an envelope sealed by a client: structure, recipient types and count, and padding.
pub fn check_client_envelope(envelope: &[u8], expected_recipients: usize) -> Result<(), SealError> {
    let shape = inspect(envelope)?;
    if shape.x25519_stanzas != expected_recipients {
        return Err(SealError::RecipientCount {
            expected: expected_recipients,
            found: shape.x25519_stanzas,
        });
    }
    if shape.plaintext_len != bucket(shape.plaintext_len) {
        return Err(SealError::Padding);
    }
    Ok(())
}

/// Parses an age v1 header strictly and derives the plaintext length from the payload length.
pub fn inspect(envelope: &[u8]) -> Result<Shape, SealError> {
    let header = parse_header(envelope)?;
    Ok(Shape {
        x25519_stanzas: header.x25519_stanzas,
        plaintext_len: plaintext_len(envelope.len() - header.len)?,
    })
}

/// An age header, parsed: its X25519 stanzas and its length in bytes.
#[derive(Debug, PartialEq, Eq)]
pub struct Header {
    pub x25519_stanzas: usize,
    pub len: usize,
}

/// The most bytes an age header may take here: a streamed upload is read this far before its
/// header is judged.
pub const MAX_HEADER_BYTES: usize = MAX_HEADER;

/// Parses the text header at the start of `data` (which may go on with the payload).
pub fn parse_header(data: &[u8]) -> Result<Header, SealError> {
    let mut lines = HeaderLines::new(data);
    if lines.next()? != b"age-encryption.org/v1" {
        return Err(SealError::Malformed(
            "it does not start with the age v1 line",
        ));
    }
    let mut x25519_stanzas = 0;
    let mut stanzas = 0;
    let mut line = lines.next()?;
    while let Some(args) = line.strip_prefix(b"-> ") {
        stanzas += 1;
        if stanzas > MAX_STANZAS {
            return Err(SealError::Malformed("too many recipient stanzas"));
        }
        let args: Vec<&[u8]> = args.split(|&b| b == b' ').collect();
        // age itself refuses empty arguments (a doubled or trailing space).
        if args.iter().any(|a| a.is_empty()) {
            return Err(SealError::Malformed("a stanza has an empty argument"));
        }
        let body = read_stanza_body(&mut lines)?;
        match args[0] {
            b"X25519" => {
                if args.len() != 2 || decoded_len(args[1])? != 32 || body != 32 {
                    return Err(SealError::Malformed("an X25519 stanza has the wrong shape"));
                }
                x25519_stanzas += 1;
            }
            tag if tag.len() > b"-grease".len() && tag.ends_with(b"-grease") => {}
            _ => return Err(SealError::RecipientType),
        }
        line = lines.next()?;
    }
    let mac = line
        .strip_prefix(b"--- ")
        .ok_or(SealError::Malformed("the header has no MAC line"))?;
    if decoded_len(mac)? != 32 {
        return Err(SealError::Malformed("the header MAC has the wrong length"));
    }
    Ok(Header {
        x25519_stanzas,
        len: lines.offset,
    })
}

/// Checks that a payload of `payload_len` bytes holds a plaintext padded to a bucket.
pub fn check_padding(payload_len: usize) -> Result<(), SealError> {
    let plain = plaintext_len(payload_len)?;
    if plain == bucket(plain) {
        Ok(())
    } else {
        Err(SealError::Padding)
    }
}

/// Reads stanza body lines: full 64-column lines until a shorter (possibly empty) final one.
/// Returns the decoded body length.
fn read_stanza_body(lines: &mut HeaderLines<'_>) -> Result<usize, SealError> {
    let mut total = 0;
    loop {
        let line = lines.next()?;
        if line.len() > 64 {
            return Err(SealError::Malformed("a stanza body line is too long"));
        }
        total += decoded_len(line)?;
        if line.len() < 64 {
            return Ok(total);
        }
    }
}

fn decoded_len(b64: &[u8]) -> Result<usize, SealError> {
    STANDARD_NO_PAD
        .decode(b64)
        .map(|v| v.len())
        .map_err(|_| SealError::Malformed("a header field is not canonical base64"))
}

/// The plaintext length behind an age payload of `payload` bytes (nonce plus STREAM chunks).
pub fn plaintext_len(payload: usize) -> Result<usize, SealError> {
    let ciphertext = payload
        .checked_sub(NONCE)
        .filter(|&c| c >= TAG)
        .ok_or(SealError::Malformed("the payload is too short"))?;
    let chunks = ciphertext.div_ceil(CHUNK + TAG);
    let plain = ciphertext - chunks * TAG;
    // A final chunk is never empty unless it is the only one.
    if chunks > 1 && plain <= (chunks - 1) * CHUNK {
        return Err(SealError::Malformed("the payload has an empty final chunk"));
    }
    Ok(plain)
}

/// Splits the text header into lines, bounded by [`MAX_HEADER`].
struct HeaderLines<'a> {
    data: &'a [u8],
    offset: usize,
}

impl<'a> HeaderLines<'a> {
    fn new(data: &'a [u8]) -> Self {
        HeaderLines { data, offset: 0 }
    }

    fn next(&mut self) -> Result<&'a [u8], SealError> {
        let window = &self.data[self.offset..self.data.len().min(MAX_HEADER)];
        let end = window
            .iter()
            .position(|&b| b == b'\n')
            .ok_or(SealError::Malformed("the header is cut short or too long"))?;
        let line = &window[..end];
        if line.iter().any(|&b| !(0x20..0x7f).contains(&b)) {
            return Err(SealError::Malformed("the header holds a non-ASCII byte"));
        }
        self.offset += end + 1;
        Ok(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn keys(n: usize) -> (Vec<age::x25519::Identity>, Vec<age::x25519::Recipient>) {
        let ids: Vec<_> = (0..n).map(|_| age::x25519::Identity::generate()).collect();
        let rs = ids.iter().map(|i| i.to_public()).collect();
        (ids, rs)
    }

    #[test]
    fn buckets_are_powers_of_two_from_four_kib() {
        assert_eq!(bucket(0), 4096);
        assert_eq!(bucket(4096), 4096);
        assert_eq!(bucket(4097), 8192);
        assert_eq!(bucket(100_000), 131_072);
    }

    #[test]
    fn every_recipient_opens_a_sealed_envelope_and_sees_the_padded_text() {
        let (ids, rs) = keys(2);
        let sealed = seal(Zeroizing::new(b"{\"a\":1}".to_vec()), &rs).unwrap();
        for id in &ids {
            let opened = open(&sealed, id).unwrap();
            assert_eq!(opened.len(), 4096);
            assert!(opened.starts_with(b"{\"a\":1}"));
            assert!(opened[7..].iter().all(|&b| b == b' '));
        }
        let stranger = age::x25519::Identity::generate();
        assert_eq!(
            open(&sealed, &stranger).unwrap_err(),
            SealError::NotForThisKey
        );
    }

    #[test]
    fn a_server_sealed_envelope_passes_the_client_checks() {
        let (_, rs) = keys(3);
        for len in [0, 10, 5000, 70_000, 200_000] {
            let sealed = seal(Zeroizing::new(vec![b'x'; len]), &rs).unwrap();
            assert_eq!(inspect(&sealed).unwrap().plaintext_len, bucket(len));
            check_client_envelope(&sealed, 3).unwrap();
        }
    }

    #[test]
    fn the_recipient_count_must_match_the_entity() {
        let (_, rs) = keys(2);
        let sealed = seal(Zeroizing::new(b"x".to_vec()), &rs).unwrap();
        assert_eq!(
            check_client_envelope(&sealed, 1).unwrap_err(),
            SealError::RecipientCount {
                expected: 1,
                found: 2
            }
        );
    }

    #[test]
    fn an_unpadded_envelope_is_refused() {
        let (_, rs) = keys(1);
        let sealed = age::encrypt(&rs[0], b"short and telling").unwrap();
        assert_eq!(
            check_client_envelope(&sealed, 1).unwrap_err(),
            SealError::Padding
        );
    }

    #[test]
    fn a_passphrase_envelope_is_refused() {
        let sealed = {
            let e = age::Encryptor::with_user_passphrase("pw".into());
            let mut out = vec![];
            let mut w = e.wrap_output(&mut out).unwrap();
            w.write_all(&[b' '; 4096]).unwrap();
            w.finish().unwrap();
            out
        };
        assert_eq!(
            check_client_envelope(&sealed, 1).unwrap_err(),
            SealError::RecipientType
        );
    }

    #[test]
    fn garbage_and_truncated_envelopes_are_malformed() {
        let (_, rs) = keys(1);
        let sealed = seal(Zeroizing::new(b"x".to_vec()), &rs).unwrap();
        assert!(matches!(inspect(b"hello"), Err(SealError::Malformed(_))));
        assert!(matches!(
            inspect(&sealed[..40]),
            Err(SealError::Malformed(_))
        ));
        let header_end = sealed.windows(4).position(|w| w == b"--- ").unwrap() + 48;
        assert!(matches!(
            inspect(&sealed[..header_end]),
            Err(SealError::Malformed(_))
        ));
    }

    #[test]
    fn a_streamed_attachment_is_padded_and_gives_back_its_content_and_name() {
        let (ids, rs) = keys(1);
        let content: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let mut sealer = StreamSealer::new(&rs, Vec::new()).unwrap();
        for piece in content.chunks(7000) {
            sealer.write(piece).unwrap();
        }
        let sealed = sealer.finish("photo.jpg", "image/jpeg").unwrap();
        check_client_envelope(&sealed, 1).unwrap();
        assert_eq!(inspect(&sealed).unwrap().plaintext_len, 262_144);
        let opened = open(&sealed, &ids[0]).unwrap();
        let (meta, body) = parse_attachment(&opened).unwrap();
        assert_eq!(meta.name, "photo.jpg");
        assert_eq!(meta.size, 200_000);
        assert_eq!(body, &content[..]);
        assert!(parse_attachment(b"not an attachment").is_none());
    }

    proptest! {
        #[test]
        fn parsing_arbitrary_attachments_never_panics(data in proptest::collection::vec(any::<u8>(), 0..200)) {
            let mut with_magic = data.clone();
            with_magic.extend_from_slice(ATTACHMENT_MAGIC);
            let _ = parse_attachment(&data);
            let _ = parse_attachment(&with_magic);
        }

        #[test]
        fn inspecting_arbitrary_bytes_never_panics(data in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = inspect(&data);
            let mut prefixed = b"age-encryption.org/v1\n-> X25519 ".to_vec();
            prefixed.extend_from_slice(&data);
            let _ = inspect(&prefixed);
        }

        #[test]
        fn plaintext_length_is_recovered_from_any_payload(len in 0usize..400_000) {
            let chunks = if len == 0 { 1 } else { len.div_ceil(CHUNK) };
            prop_assert_eq!(plaintext_len(NONCE + len + chunks * TAG).unwrap(), len);
        }
    }
}
