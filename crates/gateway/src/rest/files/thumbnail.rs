//! Thumbnails of uploaded images: decoded within bounds (pixels and memory), scaled to fit
//! 320 px, flattened onto white and written as JPEG, on the blocking pool and one at a time
//! per gateway, so that a burst of large pictures cannot starve the sessions of CPU or
//! memory.

use std::io::Cursor;

use axum::http::StatusCode;
use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageReader, Limits, RgbImage};
use tokio::sync::Semaphore;

use crate::rest::error::ApiError;

/// The longest side of a thumbnail, in pixels.
pub const THUMBNAIL_SIDE: u32 = 320;
/// The longest side of an image we decode (a 20 MiB upload can claim far more).
const MAX_SIDE: u32 = 16_384;
/// The most memory one decode may allocate.
const MAX_ALLOC: u64 = 256 * 1024 * 1024;
const JPEG_QUALITY: u8 = 80;

/// An image's size and its thumbnail.
pub struct Thumbnail {
    pub width: u32,
    pub height: u32,
    pub jpeg: Vec<u8>,
}

pub struct Thumbnailer {
    permits: Semaphore,
}

impl Thumbnailer {
    pub fn new() -> Self {
        Self {
            permits: Semaphore::new(1),
        }
    }

    /// The thumbnail of `bytes`; 415 `invalid_image` when they do not decode within bounds.
    pub async fn make(&self, bytes: Vec<u8>) -> Result<Thumbnail, ApiError> {
        let _permit = self.permits.acquire().await.map_err(|_| busy())?;
        tokio::task::spawn_blocking(move || thumbnail(&bytes))
            .await
            .map_err(|_| busy())?
            .map_err(|error| {
                ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "invalid_image",
                    format!("the picture could not be decoded: {error}"),
                )
            })
    }
}

fn busy() -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
        "the gateway is shutting down; upload again",
    )
}

fn thumbnail(bytes: &[u8]) -> Result<Thumbnail, image::ImageError> {
    let mut reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format()?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let image = reader.decode()?;
    let (width, height) = (image.width(), image.height());
    // `thumbnail` would also enlarge a small picture; that one is kept as it is.
    let small = if width.max(height) > THUMBNAIL_SIDE {
        on_white(&image.thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    } else {
        on_white(&image)
    };
    let mut jpeg = Vec::new();
    small.write_with_encoder(JpegEncoder::new_with_quality(&mut jpeg, JPEG_QUALITY))?;
    Ok(Thumbnail {
        width,
        height,
        jpeg,
    })
}

/// JPEG has no transparency: transparent pixels become white, as chat clients show them,
/// rather than whatever colour they happen to hold (often black).
fn on_white(image: &DynamicImage) -> RgbImage {
    let rgba = image.to_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let blend = |c: u8| {
            let c = u16::from(c) * u16::from(a) + 255 * (255 - u16::from(a));
            u8::try_from(c / 255).unwrap_or(u8::MAX)
        };
        image::Rgb([blend(r), blend(g), blend(b)])
    })
}

#[cfg(test)]
mod tests {
    use image::{ImageFormat, Rgba, RgbaImage};

    use super::*;

    fn png(width: u32, height: u32, pixel: Rgba<u8>) -> Vec<u8> {
        let mut bytes = Vec::new();
        RgbaImage::from_pixel(width, height, pixel)
            .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)
            .unwrap();
        bytes
    }

    #[test]
    fn a_large_picture_keeps_its_size_and_gets_a_small_jpeg_keeping_its_shape() {
        let made = thumbnail(&png(1000, 500, Rgba([200, 10, 10, 255]))).unwrap();
        assert_eq!((made.width, made.height), (1000, 500));
        let small = image::load_from_memory(&made.jpeg).unwrap();
        assert_eq!((small.width(), small.height()), (320, 160));
        assert_eq!(image::guess_format(&made.jpeg).unwrap(), ImageFormat::Jpeg);
    }

    #[test]
    fn transparency_becomes_white_and_small_pictures_are_not_enlarged() {
        let made = thumbnail(&png(4, 3, Rgba([0, 0, 0, 0]))).unwrap();
        let small = image::load_from_memory(&made.jpeg).unwrap().to_rgb8();
        assert_eq!((small.width(), small.height()), (4, 3));
        assert!(
            small.pixels().all(|p| p.0.iter().all(|&c| c > 240)),
            "white"
        );
    }

    #[test]
    fn bytes_that_do_not_decode_are_an_error() {
        let mut broken = png(10, 10, Rgba([1, 2, 3, 255]));
        broken.truncate(40);
        assert!(thumbnail(&broken).is_err());
        assert!(thumbnail(b"\x89PNG not really").is_err());
    }
}
