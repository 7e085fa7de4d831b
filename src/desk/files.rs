//! Files from reporters, shown without danger. Nothing is handed to the desktop's default
//! viewer on its own:
//!
//! - a picture (JPEG, PNG) is decoded here, within bounds, and drawn again as a fresh PNG: its
//!   location, camera details, comments and anything hidden after the picture are not in it;
//! - text is shown as text, escaped, in the page;
//! - anything else is only offered as a download, with a warning, as `attachment` under a
//!   sandboxing policy.
//!
//! What kind of file it is is told by its bytes, never by the name or type the reporter's
//! device gave (which anyone can set).

use std::sync::Arc;

use askama::Template;
use axum::extract::{Extension, Form, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use zeroize::Zeroizing;

use super::Desk;
use super::inbox::Content;
use super::pages::{Frame, marked, render, short, size_text};
use crate::i18n::Tr;

/// Pictures larger than this many pixels a side, or needing more memory to decode, are not
/// drawn (a small file can claim a huge picture).
const MAX_SIDE: u32 = 12_000;
const MAX_DECODE_BYTES: u64 = 512 << 20;
/// Text longer than this is offered as a download.
const MAX_TEXT: usize = 1 << 20;

/// What the desk can show of a file's bytes.
#[derive(Debug, PartialEq, Eq)]
pub enum Shown {
    Picture,
    Text,
    DownloadOnly,
}

/// Tells a file by its bytes.
pub fn kind_of(content: &[u8]) -> Shown {
    if content.starts_with(&[0xFF, 0xD8, 0xFF]) || content.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Shown::Picture;
    }
    let text = content.len() <= MAX_TEXT
        && std::str::from_utf8(content).is_ok_and(|s| {
            !s.chars()
                .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        });
    if text {
        Shown::Text
    } else {
        Shown::DownloadOnly
    }
}

/// Decodes a picture and encodes it again as PNG: pixels only.
pub fn redraw(content: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut reader = image::ImageReader::new(std::io::Cursor::new(content))
        .with_guessed_format()
        .map_err(|_| anyhow::anyhow!("the picture cannot be read"))?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let picture = reader
        .decode()
        .map_err(|e| anyhow::anyhow!("the picture cannot be drawn: {e}"))?;
    let mut out = Vec::new();
    picture
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .map_err(|e| anyhow::anyhow!("the picture cannot be drawn again: {e}"))?;
    Ok(out)
}

#[derive(Template)]
#[template(path = "desk/file.html")]
struct FilePage {
    t: Tr,
    who: Option<String>,
    mark: String,
    offline: Option<String>,
    case: String,
    short: String,
    envelope: String,
    name: Zeroizing<String>,
    media_type: String,
    size: String,
    text: Option<Zeroizing<String>>,
    image: bool,
}

/// The opened file of a case's item: (name, declared type, content).
type Opened = (Zeroizing<String>, String, Zeroizing<Vec<u8>>);

async fn opened(desk: &Desk, case: &str, envelope: &str) -> Option<Opened> {
    let unlocked = desk.unlocked.lock().await;
    let u = unlocked.as_ref()?;
    let item = u
        .inbox
        .case(case)?
        .items
        .iter()
        .find(|i| i.meta.id == envelope)?;
    let Content::File {
        name, media_type, ..
    } = &item.content
    else {
        return None;
    };
    let plain = u.open_kept(&desk.vault, envelope).ok()??;
    let (_, content) = crate::seal::parse_attachment(&plain)?;
    Some((
        name.clone(),
        media_type.clone(),
        Zeroizing::new(content.to_vec()),
    ))
}

pub async fn page(
    State(desk): State<Arc<Desk>>,
    Extension(t): Extension<Tr>,
    Path((case, envelope)): Path<(String, String)>,
) -> Response {
    let Some((name, media_type, content)) = opened(&desk, &case, &envelope).await else {
        return super::go("/");
    };
    let shown = kind_of(&content);
    let frame = {
        let unlocked = desk.unlocked.lock().await;
        Frame::of(&desk, unlocked.as_ref())
    };
    let page = FilePage {
        t,
        who: frame.who,
        mark: frame.mark,
        offline: frame.offline,
        short: short(&case).to_string(),
        case,
        envelope,
        name,
        media_type,
        size: size_text(content.len() as u64),
        text: (shown == Shown::Text)
            .then(|| Zeroizing::new(String::from_utf8_lossy(&content).into_owned())),
        image: shown == Shown::Picture,
    };
    render(StatusCode::OK, &page)
}

pub async fn image(
    State(desk): State<Arc<Desk>>,
    Path((case, envelope)): Path<(String, String)>,
) -> Response {
    let Some((_, _, content)) = opened(&desk, &case, &envelope).await else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if kind_of(&content) != Shown::Picture {
        return StatusCode::NOT_FOUND.into_response();
    }
    match tokio::task::spawn_blocking(move || redraw(&content)).await {
        Ok(Ok(png)) => ([(header::CONTENT_TYPE, "image/png")], png).into_response(),
        _ => StatusCode::UNPROCESSABLE_ENTITY.into_response(),
    }
}

pub async fn download(
    State(desk): State<Arc<Desk>>,
    Extension(t): Extension<Tr>,
    Path((case, envelope)): Path<(String, String)>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    if let Err(refused) = marked(&desk, t, form) {
        return *refused;
    }
    let Some((name, _, content)) = opened(&desk, &case, &envelope).await else {
        return super::go("/");
    };
    let safe = crate::cli::safe_file_name(&name);
    (
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{safe}\""),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                super::guard::DOWNLOAD_POLICY.to_string(),
            ),
        ],
        content.to_vec(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg_with_gps_and_a_trailer() -> Vec<u8> {
        let picture =
            image::RgbImage::from_fn(16, 8, |x, y| image::Rgb([x as u8 * 15, y as u8 * 30, 90]));
        let mut jpeg = Vec::new();
        image::DynamicImage::ImageRgb8(picture)
            .write_to(
                &mut std::io::Cursor::new(&mut jpeg),
                image::ImageFormat::Jpeg,
            )
            .unwrap();
        // An APP1 (Exif) segment right after the start of image, holding a GPS position, and a
        // payload after the end of image.
        let exif = b"Exif\0\0GPSLatitude=04.3612N;GPSLongitude=018.5550E";
        let mut with = jpeg[..2].to_vec();
        with.extend_from_slice(&[0xFF, 0xE1]);
        with.extend_from_slice(&((exif.len() + 2) as u16).to_be_bytes());
        with.extend_from_slice(exif);
        with.extend_from_slice(&jpeg[2..]);
        with.extend_from_slice(b"TRAILING-PAYLOAD<script>alert(1)</script>");
        with
    }

    #[test]
    fn a_picture_is_drawn_again_without_its_location_or_what_follows_it() {
        let original = jpeg_with_gps_and_a_trailer();
        assert_eq!(kind_of(&original), Shown::Picture);
        let png = redraw(&original).unwrap();
        assert!(png.starts_with(b"\x89PNG"));
        let text = String::from_utf8_lossy(&png);
        assert!(!text.contains("GPSLatitude") && !text.contains("TRAILING-PAYLOAD"));
        let back = image::load_from_memory(&png).unwrap();
        assert_eq!((back.width(), back.height()), (16, 8));
    }

    #[test]
    fn a_file_is_told_by_its_bytes_not_by_its_name() {
        assert_eq!(kind_of(b"It was the day of the market.\n"), Shown::Text);
        assert_eq!(kind_of(b"MZ\x90\x00\x03"), Shown::DownloadOnly);
        assert_eq!(kind_of(b"text with an escape \x1b[2J"), Shown::DownloadOnly);
        assert_eq!(
            kind_of(b"%PDF-1.7"),
            Shown::Text,
            "printable, shown as text only"
        );
    }

    #[test]
    fn a_picture_that_claims_to_be_huge_is_not_decoded() {
        // A PNG header claiming 100000 × 100000 pixels.
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        png.extend_from_slice(&100_000u32.to_be_bytes());
        png.extend_from_slice(&100_000u32.to_be_bytes());
        png.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
        assert!(redraw(&png).is_err());
    }
}
