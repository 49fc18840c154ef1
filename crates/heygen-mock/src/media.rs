//! Media bytes the mock serves at its output URLs (a finished video's
//! `video_url`), built byte by byte so the duration is exact; the same
//! builders make the files tests upload or serve as inputs.

use bytes::Bytes;
use http::{header, Response, StatusCode};
use http_body_util::Full;

use crate::state::{JobKind, Shared};

/// `GET /media/ID.mp4`: an MP4 whose header declares the finished job's
/// length; 404 for anything else (unknown id, unfinished job, other type).
pub(crate) fn serve(shared: &Shared, file: &str) -> Response<Full<Bytes>> {
    let kinds = [JobKind::Video, JobKind::Translation, JobKind::Lipsync];
    // `clip-MS.mp4`: an input file of MS milliseconds (an app's narration
    // or source video, for tests of pricing by probed length).
    let clip = file
        .strip_prefix("clip-")
        .and_then(|f| f.strip_suffix(".mp4"))
        .and_then(|ms| ms.parse::<u64>().ok())
        .map(|ms| ms as f64 / 1000.0);
    let seconds = clip.or_else(|| {
        file.strip_suffix(".mp4")
            .and_then(|id| shared.find_job(id, &kinds))
            .and_then(|job| job.duration)
    });
    let mut resp = Response::new(Full::new(Bytes::new()));
    match seconds {
        Some(s) => {
            let ms = (s * 1000.0).round() as u64;
            *resp.body_mut() = Full::new(mp4(ms, 0, true, false));
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static("video/mp4"),
            );
        }
        None => *resp.status_mut() = StatusCode::NOT_FOUND,
    }
    resp
}

/// 16-bit mono PCM WAV at 8 kHz, `ms` long.
pub fn wav(ms: u64) -> Bytes {
    let rate: u32 = 8_000;
    let samples = (u64::from(rate) * ms / 1000) as u32;
    let data_len = samples * 2;
    let mut b = Vec::with_capacity(44 + data_len as usize);
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + data_len).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes()); // PCM
    b.extend_from_slice(&1u16.to_le_bytes()); // mono
    b.extend_from_slice(&rate.to_le_bytes());
    b.extend_from_slice(&(rate * 2).to_le_bytes()); // byte rate
    b.extend_from_slice(&2u16.to_le_bytes()); // block align
    b.extend_from_slice(&16u16.to_le_bytes()); // bits per sample
    b.extend_from_slice(b"data");
    b.extend_from_slice(&data_len.to_le_bytes());
    for i in 0..samples {
        // A quiet saw wave: any samples will do.
        b.extend_from_slice(&((i % 200) as i16 * 10).to_le_bytes());
    }
    Bytes::from(b)
}

fn bx(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut b = Vec::with_capacity(8 + payload.len());
    b.extend_from_slice(&(8 + payload.len() as u32).to_be_bytes());
    b.extend_from_slice(kind);
    b.extend_from_slice(payload);
    b
}

/// ISO-BMFF: ftyp, a moov holding only mvhd (timescale 1000, so the
/// duration is in ms), and an mdat of `mdat_len` zero bytes, with the moov
/// before or after the mdat. `v1` writes a 64-bit duration.
pub fn mp4(duration_ms: u64, mdat_len: usize, moov_first: bool, v1: bool) -> Bytes {
    let ftyp = bx(b"ftyp", b"isom\0\0\x02\0isomiso2");
    let mut mvhd = Vec::new();
    if v1 {
        mvhd.extend_from_slice(&[1, 0, 0, 0]);
        mvhd.extend_from_slice(&[0; 16]); // creation, modification
        mvhd.extend_from_slice(&1000u32.to_be_bytes());
        mvhd.extend_from_slice(&duration_ms.to_be_bytes());
    } else {
        mvhd.extend_from_slice(&[0; 4]);
        mvhd.extend_from_slice(&[0; 8]);
        mvhd.extend_from_slice(&1000u32.to_be_bytes());
        mvhd.extend_from_slice(&(duration_ms as u32).to_be_bytes());
    }
    mvhd.extend_from_slice(&0x0001_0000u32.to_be_bytes()); // rate 1.0
    mvhd.extend_from_slice(&0x0100u16.to_be_bytes()); // volume 1.0
    mvhd.extend_from_slice(&[0; 10]); // reserved
    for m in [0x0001_0000u32, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000] {
        mvhd.extend_from_slice(&m.to_be_bytes()); // unity matrix
    }
    mvhd.extend_from_slice(&[0; 24]); // pre_defined
    mvhd.extend_from_slice(&2u32.to_be_bytes()); // next track id
    let moov = bx(b"moov", &bx(b"mvhd", &mvhd));
    let mdat = bx(b"mdat", &vec![0u8; mdat_len]);
    let mut b = ftyp;
    if moov_first {
        b.extend_from_slice(&moov);
        b.extend_from_slice(&mdat);
    } else {
        b.extend_from_slice(&mdat);
        b.extend_from_slice(&moov);
    }
    Bytes::from(b)
}
