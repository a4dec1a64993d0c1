//! Uploads and downloads through OpenResty, and where the gateways keep the objects (the
//! filesystem backend under the stack's run directory).

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::Stack;
use crate::api::{Api, RawReply, Reply, send_bytes, send_raw};

/// A real 1x1 PNG (RGBA, one transparent pixel): 67 bytes.
pub const PNG: [u8; 67] = [
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0a, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];

/// The gateways' default limit for voice notes.
pub const VOICE_LIMIT: usize = 10 * 1024 * 1024;

/// `POST /api/v1/files?kind=&name=` with `body` as it is.
pub fn upload(api: &Api, token: Option<&str>, kind: &str, name: &str, body: &[u8]) -> Reply {
    send_raw(
        &api.public,
        "POST",
        &format!("/api/v1/files?kind={kind}&name={name}"),
        token,
        body,
        "application/octet-stream",
        &[],
    )
}

/// `GET /api/v1/files/{id}` with any extra header lines.
pub fn download(api: &Api, token: Option<&str>, id: u64, extra_headers: &[&str]) -> RawReply {
    send_bytes(
        &api.public,
        "GET",
        &format!("/api/v1/files/{id}"),
        token,
        &[],
        "",
        extra_headers,
    )
}

/// SHA-256 in lowercase hex, as uploads answer it.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Where the gateways keep `user`'s objects (`--files-dir`, then the object key).
pub fn objects_dir(user: u64) -> PathBuf {
    Stack::load()
        .run_dir
        .join("files")
        .join("files")
        .join(user.to_string())
}

/// Every file under `dir` (none when it does not exist), staging files of uploads included.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .flat_map(|entry| {
            let path = entry.path();
            if path.is_dir() {
                files_under(&path)
            } else {
                vec![path]
            }
        })
        .collect()
}

/// Uploads the PNG as `token`'s; returns its id.
pub fn uploaded_png(api: &Api, token: &str) -> u64 {
    let reply = upload(api, Some(token), "image", "dot.png", &PNG);
    assert_eq!(reply.status, 201, "{reply:?}");
    reply.body["file_id"].as_u64().expect("a file id")
}

/// A `width` x `height` PNG of one opaque colour.
pub fn png_of(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    image::RgbaImage::from_pixel(width, height, image::Rgba([30, 120, 200, 255]))
        .write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Png,
        )
        .expect("encode a PNG");
    bytes
}

/// `POST /api/v1/files/{id}/url`: the signed addresses, as `token` gets them.
pub fn signed_urls(api: &Api, token: &str, id: u64) -> Reply {
    crate::api::call(
        &api.public,
        "POST",
        &format!("/api/v1/files/{id}/url"),
        Some(token),
        None,
        &[],
    )
}

/// GET of a path (signed addresses included) with no token.
pub fn fetch(api: &Api, path: &str) -> RawReply {
    send_bytes(&api.public, "GET", path, None, &[], "", &[])
}
