//! Photos sent with feedback (DESIGN.md C10): recognised by their content, decoded under limits
//! that stop decompression bombs, and re-encoded from the pixels alone, so that EXIF and every
//! other kind of metadata (the GPS position, the device, the owner's name, comments) never
//! reaches anyone; with a JPEG thumbnail.
//!
//! The orientation recorded in EXIF is applied to the pixels before it is dropped, so a photo
//! taken upright on a phone stays upright.

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use std::io::Cursor;

/// Largest photo accepted, in bytes.
pub const MAX_PHOTO_BYTES: usize = model::feedback::MAX_PHOTO_BYTES;
/// Largest width or height decoded, in pixels.
pub const MAX_SIDE: u32 = 10_000;
/// Most memory a decode may take.
pub const MAX_DECODE_BYTES: u64 = 256 << 20;
/// Longest side of a thumbnail, in pixels.
pub const THUMBNAIL_SIDE: u32 = 320;

/// A photo as it is kept: re-encoded pixels only.
#[derive(Debug, Clone)]
pub struct Photo {
    /// `image/jpeg` (for JPEG input) or `image/png` (for PNG and WebP input, keeping alpha).
    pub media_type: &'static str,
    /// The file extension of [`Photo::bytes`].
    pub extension: &'static str,
    /// The re-encoded image.
    pub bytes: Vec<u8>,
    /// Width in pixels, after orientation.
    pub width: u32,
    /// Height in pixels, after orientation.
    pub height: u32,
    /// A JPEG at most [`THUMBNAIL_SIDE`] pixels on its longer side.
    pub thumbnail: Vec<u8>,
}

/// Why a photo was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhotoError {
    /// Over [`MAX_PHOTO_BYTES`].
    #[error("a photo may be at most {} MiB", MAX_PHOTO_BYTES >> 20)]
    TooLarge,
    /// Not a JPEG, PNG or WebP image by its content.
    #[error("the file is not a JPEG, PNG or WebP image")]
    NotAnImage,
    /// Dimensions or decoded size over the limits (a decompression bomb, or simply too big).
    #[error("the image is too large to decode (at most {MAX_SIDE} pixels a side)")]
    TooManyPixels,
    /// The content starts like an image but cannot be decoded.
    #[error("the image is damaged and cannot be read")]
    Damaged,
}

impl PhotoError {
    /// A stable code.
    pub fn code(&self) -> &'static str {
        match self {
            PhotoError::TooLarge => "photo_too_large",
            PhotoError::NotAnImage => "not_an_image",
            PhotoError::TooManyPixels => "image_too_large",
            PhotoError::Damaged => "image_damaged",
        }
    }
}

/// Checks, decodes and re-encodes a photo.
pub fn sanitize(input: &[u8]) -> Result<Photo, PhotoError> {
    if input.len() > MAX_PHOTO_BYTES {
        return Err(PhotoError::TooLarge);
    }
    let format = image::guess_format(input).map_err(|_| PhotoError::NotAnImage)?;
    if !matches!(
        format,
        ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP
    ) {
        return Err(PhotoError::NotAnImage);
    }
    let mut reader = ImageReader::with_format(Cursor::new(input), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(decode_error)?;
    // Read before decoding: the orientation lives in the metadata that is about to go.
    let orientation = decoder.orientation().ok();
    let mut pixels = DynamicImage::from_decoder(decoder).map_err(decode_error)?;
    if let Some(o) = orientation {
        pixels.apply_orientation(o);
    }
    let (width, height) = (pixels.width(), pixels.height());
    let (media_type, extension, bytes) = if format == ImageFormat::Jpeg {
        ("image/jpeg", "jpg", jpeg(&pixels, 88)?)
    } else {
        let mut out = Vec::new();
        pixels
            .write_with_encoder(PngEncoder::new(&mut out))
            .map_err(|_| PhotoError::Damaged)?;
        ("image/png", "png", out)
    };
    let thumbnail = jpeg(&pixels.thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE), 80)?;
    Ok(Photo {
        media_type,
        extension,
        bytes,
        width,
        height,
        thumbnail,
    })
}

/// The pixels as a baseline JPEG (RGB, no alpha), with no metadata but the JFIF header.
fn jpeg(pixels: &DynamicImage, quality: u8) -> Result<Vec<u8>, PhotoError> {
    let mut out = Vec::new();
    DynamicImage::ImageRgb8(pixels.to_rgb8())
        .write_with_encoder(JpegEncoder::new_with_quality(&mut out, quality))
        .map_err(|_| PhotoError::Damaged)?;
    Ok(out)
}

fn decode_error(e: image::ImageError) -> PhotoError {
    match e {
        image::ImageError::Limits(_) => PhotoError::TooManyPixels,
        image::ImageError::Unsupported(_) => PhotoError::NotAnImage,
        _ => PhotoError::Damaged,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage, Rgba, RgbaImage};

    fn gradient(w: u32, h: u32) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 128]))
    }

    fn encode(img: DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    /// A JPEG with an EXIF segment holding a GPS marker, a device name and an orientation.
    fn jpeg_with_exif(orientation: u16) -> Vec<u8> {
        let plain = encode(DynamicImage::ImageRgb8(gradient(40, 20)), ImageFormat::Jpeg);
        // A little-endian TIFF with one IFD of two entries: Orientation (0x0112, SHORT) and
        // Make (0x010F, ASCII, pointing at the string after the IFD).
        let make = b"SECRET-PHONE-GPS-30.27N\0";
        let mut tiff = Vec::new();
        tiff.extend_from_slice(b"II*\0");
        tiff.extend_from_slice(&8u32.to_le_bytes());
        tiff.extend_from_slice(&2u16.to_le_bytes());
        tiff.extend_from_slice(&0x0112u16.to_le_bytes());
        tiff.extend_from_slice(&3u16.to_le_bytes());
        tiff.extend_from_slice(&1u32.to_le_bytes());
        tiff.extend_from_slice(&(orientation as u32).to_le_bytes());
        tiff.extend_from_slice(&0x010Fu16.to_le_bytes());
        tiff.extend_from_slice(&2u16.to_le_bytes());
        tiff.extend_from_slice(&(make.len() as u32).to_le_bytes());
        tiff.extend_from_slice(&(8 + 2 + 2 * 12 + 4u32).to_le_bytes());
        tiff.extend_from_slice(&0u32.to_le_bytes());
        tiff.extend_from_slice(make);
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend_from_slice(&tiff);
        let mut out = plain[..2].to_vec();
        out.extend_from_slice(&[0xFF, 0xE1]);
        out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(&app1);
        out.extend_from_slice(&plain[2..]);
        out
    }

    /// The CRC-32 of PNG chunks (ISO 3309), bit by bit.
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in bytes {
            crc ^= b as u32;
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn exif_is_gone_and_orientation_applied() {
        let input = jpeg_with_exif(6);
        assert!(contains(&input, b"SECRET-PHONE"));
        let photo = sanitize(&input).unwrap();
        assert_eq!(photo.media_type, "image/jpeg");
        assert!(!contains(&photo.bytes, b"Exif"));
        assert!(!contains(&photo.bytes, b"SECRET-PHONE"));
        assert!(!contains(&photo.thumbnail, b"Exif"));
        // Orientation 6 turns the 40×20 image a quarter: it is kept upright as 20×40.
        assert_eq!((photo.width, photo.height), (20, 40));
        let again = image::load_from_memory(&photo.bytes).unwrap();
        assert_eq!((again.width(), again.height()), (20, 40));
        // Orientation 1 leaves it as it is.
        let upright = sanitize(&jpeg_with_exif(1)).unwrap();
        assert_eq!((upright.width, upright.height), (40, 20));
    }

    #[test]
    fn png_text_chunks_are_gone_and_alpha_kept() {
        let img = RgbaImage::from_fn(30, 30, |x, _| Rgba([x as u8, 0, 0, 100]));
        let plain = encode(DynamicImage::ImageRgba8(img), ImageFormat::Png);
        // A tEXt chunk after the header chunk (8-byte signature + 25-byte IHDR).
        let text = b"Comment\0GPS 30.27N 120.15E";
        let mut chunk = (text.len() as u32).to_be_bytes().to_vec();
        chunk.extend_from_slice(b"tEXt");
        chunk.extend_from_slice(text);
        chunk.extend_from_slice(&crc32(&chunk[4..]).to_be_bytes());
        let mut input = plain[..33].to_vec();
        input.extend_from_slice(&chunk);
        input.extend_from_slice(&plain[33..]);
        assert!(contains(&input, b"GPS 30.27N"));
        let photo = sanitize(&input).unwrap();
        assert_eq!(photo.media_type, "image/png");
        assert!(!contains(&photo.bytes, b"GPS 30.27N"));
        let again = image::load_from_memory(&photo.bytes).unwrap();
        assert!(again.color().has_alpha());
        assert!(!photo.thumbnail.is_empty());
    }

    #[test]
    fn webp_becomes_png() {
        let img = DynamicImage::ImageRgba8(RgbaImage::from_pixel(8, 8, Rgba([1, 2, 3, 255])));
        let input = encode(img, ImageFormat::WebP);
        let photo = sanitize(&input).unwrap();
        assert_eq!((photo.media_type, photo.extension), ("image/png", "png"));
    }

    #[test]
    fn thumbnails_are_small() {
        let input = encode(
            DynamicImage::ImageRgb8(gradient(1200, 600)),
            ImageFormat::Png,
        );
        let photo = sanitize(&input).unwrap();
        let thumb = image::load_from_memory(&photo.thumbnail).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (320, 160));
    }

    #[test]
    fn refusals() {
        assert_eq!(
            sanitize(b"not an image at all").unwrap_err(),
            PhotoError::NotAnImage
        );
        assert_eq!(sanitize(b"").unwrap_err(), PhotoError::NotAnImage);
        // A GIF is an image, but not one of the accepted kinds.
        let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;";
        assert_eq!(sanitize(gif).unwrap_err(), PhotoError::NotAnImage);
        // Named like a JPEG, but a text file.
        assert_eq!(
            sanitize(b"\xFF\xD8\xFFgarbage").unwrap_err(),
            PhotoError::Damaged
        );
        let big = vec![0u8; MAX_PHOTO_BYTES + 1];
        assert_eq!(sanitize(&big).unwrap_err(), PhotoError::TooLarge);
    }

    #[test]
    fn decompression_bombs_are_refused_before_decoding() {
        // A valid PNG of 1×1 whose header is rewritten to claim 50,000×50,000 pixels: the
        // limits refuse it from the header, before any pixel is allocated.
        let mut png = encode(
            DynamicImage::ImageRgb8(RgbImage::new(1, 1)),
            ImageFormat::Png,
        );
        png[16..20].copy_from_slice(&50_000u32.to_be_bytes());
        png[20..24].copy_from_slice(&50_000u32.to_be_bytes());
        // The header chunk's CRC covers its type and data (bytes 12..29).
        let crc = crc32(&png[12..29]);
        png[29..33].copy_from_slice(&crc.to_be_bytes());
        assert_eq!(sanitize(&png).unwrap_err(), PhotoError::TooManyPixels);
        // A real image just over the side limit, compressed to a few kilobytes.
        let wide = encode(
            DynamicImage::ImageLuma8(image::GrayImage::new(MAX_SIDE + 1, 1)),
            ImageFormat::Png,
        );
        assert!(wide.len() < MAX_PHOTO_BYTES);
        assert_eq!(sanitize(&wide).unwrap_err(), PhotoError::TooManyPixels);
    }
}
