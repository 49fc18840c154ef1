//! Recognise the container by its magic bytes and read the declared
//! duration with a maintained parser: symphonia (WAV, MP3, FLAC, OGG), the
//! `mp4` crate (MP4, MOV, M4A) and `matroska-demuxer` (WebM, Matroska).
//! Parsers run on fetched bytes only ([`super::source`]); a read of an
//! unfetched range becomes [`Outcome::Need`].

use symphonia::core::codecs::CodecParameters;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::{MediaSourceStream, MediaSourceStreamOptions};
use symphonia::core::meta::MetadataOptions;

use super::source::{Data, Gaps, Reader};
use super::{Container, ProbeError};

#[derive(Debug)]
pub(super) enum Outcome {
    Done {
        container: Container,
        duration_ms: u64,
    },
    /// The parser needs the file from this offset on.
    Need(u64),
    Fail(ProbeError),
}

/// Bytes needed to recognise any supported container.
const MAGIC_LEN: usize = 12;

pub(super) fn parse(data: &Data) -> Outcome {
    let head = data.head();
    if head.len() < MAGIC_LEN {
        return match data.size {
            Some(size) if size <= head.len() as u64 => Outcome::Fail(ProbeError::Truncated),
            _ => Outcome::Need(head.len() as u64),
        };
    }
    let Some(kind) = recognise(head) else {
        return Outcome::Fail(ProbeError::Unsupported("unrecognised container".into()));
    };
    let gaps = Gaps::default();
    let result = match kind {
        Kind::Symphonia(container) => symphonia_duration(data, &gaps).map(|ms| (container, ms)),
        Kind::Mp4 => mp4_duration(data, &gaps),
        Kind::Matroska => matroska_duration(data, &gaps),
    };
    match result {
        Ok((container, duration_ms)) => Outcome::Done {
            container,
            duration_ms,
        },
        // A failed parse that read an unfetched range may succeed with it.
        Err(_) if gaps.miss().is_some() => Outcome::Need(gaps.miss().unwrap_or(0)),
        Err(ParseError::Probe(e)) => Outcome::Fail(e),
        Err(ParseError::Parser(_)) if gaps.hit_eof() => Outcome::Fail(ProbeError::Truncated),
        Err(ParseError::Parser(why)) => Outcome::Fail(ProbeError::Unsupported(why)),
    }
}

enum Kind {
    Symphonia(Container),
    Mp4,
    Matroska,
}

fn recognise(head: &[u8]) -> Option<Kind> {
    let at = |i: usize, magic: &[u8]| head.get(i..i + magic.len()) == Some(magic);
    if at(0, b"RIFF") && at(8, b"WAVE") {
        Some(Kind::Symphonia(Container::Wav))
    } else if at(0, b"fLaC") {
        Some(Kind::Symphonia(Container::Flac))
    } else if at(0, b"OggS") {
        Some(Kind::Symphonia(Container::Ogg))
    } else if at(0, b"ID3") || (head[0] == 0xFF && head[1] & 0xE0 == 0xE0) {
        Some(Kind::Symphonia(Container::Mp3))
    } else if at(0, &[0x1A, 0x45, 0xDF, 0xA3]) {
        Some(Kind::Matroska)
    } else if [&b"ftyp"[..], b"moov", b"mdat", b"free", b"wide", b"skip"]
        .iter()
        .any(|m| at(4, m))
    {
        Some(Kind::Mp4)
    } else {
        None
    }
}

enum ParseError {
    /// The parser rejected the bytes (malformed, or a gap it ran into).
    Parser(String),
    /// Parsed, but the result is unusable for a known reason.
    Probe(ProbeError),
}

fn symphonia_duration(data: &Data, gaps: &Gaps) -> Result<u64, ParseError> {
    let source = Box::new(Reader::new(data, gaps));
    let mss = MediaSourceStream::new(source, MediaSourceStreamOptions::default());
    let format = symphonia::default::get_probe()
        .probe(
            &Hint::new(),
            mss,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
        .map_err(|e| ParseError::Parser(e.to_string()))?;
    let track = format
        .tracks()
        .iter()
        .find(|t| t.duration.is_some() && t.time_base.is_some())
        .ok_or(ParseError::Probe(ProbeError::NoDuration))?;
    let (Some(tb), Some(dur)) = (track.time_base, track.duration) else {
        return Err(ParseError::Probe(ProbeError::NoDuration));
    };
    let ms = tb.calc_duration(dur).map_or(u64::MAX, |t| {
        u64::try_from(t.as_millis()).unwrap_or(u64::MAX)
    });
    if let Some(CodecParameters::Audio(a)) = &track.codec_params {
        check_pcm_length(a, ms, data.size)?;
    }
    Ok(ms)
}

/// Uncompressed audio cannot be shorter on disk than its duration implies: a
/// WAV whose header promises more samples than the file holds was cut off.
fn check_pcm_length(
    a: &symphonia::core::codecs::audio::AudioCodecParameters,
    duration_ms: u64,
    size: Option<u64>,
) -> Result<(), ParseError> {
    let (Some(size), Some(rate), Some(bits), Some(ch)) = (
        size,
        a.sample_rate,
        a.bits_per_coded_sample,
        a.channels.as_ref().map(|c| c.count()),
    ) else {
        return Ok(());
    };
    use symphonia::core::codecs::audio::well_known::{CODEC_ID_PCM_MULAW, CODEC_ID_PCM_S32LE};
    // Symphonia numbers its PCM codec ids contiguously, first to last.
    let is_pcm = (CODEC_ID_PCM_S32LE..=CODEC_ID_PCM_MULAW).contains(&a.codec);
    if !is_pcm {
        return Ok(());
    }
    let bytes_per_sec = u128::from(rate) * u128::from(bits) * ch as u128 / 8;
    let needed = bytes_per_sec * u128::from(duration_ms) / 1000;
    // 1% slack for rounding and odd headers.
    if needed > u128::from(size) * 101 / 100 {
        return Err(ParseError::Probe(ProbeError::Truncated));
    }
    Ok(())
}

fn mp4_duration(data: &Data, gaps: &Gaps) -> Result<(Container, u64), ParseError> {
    let reader = Reader::new(data, gaps);
    // Unknown size (a server that ignored Range and sent more than the
    // cap): read boxes until a gap, which then reports the file too large.
    let size = data.size.unwrap_or(u64::MAX);
    let mp4 = mp4::Mp4Reader::read_header(reader, size).map_err(|e| match e {
        // A top-level box claiming more bytes than the file has: cut off.
        mp4::Error::InvalidData(why) if why.contains("larger size than it") => {
            ParseError::Probe(ProbeError::Truncated)
        }
        e => ParseError::Parser(e.to_string()),
    })?;
    let container = if mp4.major_brand().to_string().starts_with("qt") {
        Container::Mov
    } else {
        Container::Mp4
    };
    let mvhd = &mp4.moov.mvhd;
    if mvhd.timescale == 0 {
        return Err(ParseError::Parser("mvhd timescale is 0".into()));
    }
    // Fragmented files declare 0 (or all ones) here: no usable duration.
    if mvhd.duration == 0 || mvhd.duration == u64::from(u32::MAX) || mvhd.duration == u64::MAX {
        return Err(ParseError::Probe(ProbeError::NoDuration));
    }
    let ms = u128::from(mvhd.duration) * 1000 / u128::from(mvhd.timescale);
    Ok((container, u64::try_from(ms).unwrap_or(u64::MAX)))
}

fn matroska_duration(data: &Data, gaps: &Gaps) -> Result<(Container, u64), ParseError> {
    let reader = Reader::new(data, gaps);
    let mkv = matroska_demuxer::MatroskaFile::open(reader)
        .map_err(|e| ParseError::Parser(e.to_string()))?;
    let container = if mkv.ebml_header().doc_type().trim_end_matches('\0') == "webm" {
        Container::WebM
    } else {
        Container::Matroska
    };
    let info = mkv.info();
    let Some(ticks) = info.duration() else {
        return Err(ParseError::Probe(ProbeError::NoDuration));
    };
    if !ticks.is_finite() || ticks <= 0.0 {
        return Err(ParseError::Probe(ProbeError::NoDuration));
    }
    // Duration counts TimestampScale ticks (nanoseconds each).
    let ms = ticks * info.timestamp_scale().get() as f64 / 1e6;
    // `as` saturates, so an absurd float becomes u64::MAX (then refused).
    Ok((container, ms.round() as u64))
}
